// Package openfeature is an OpenFeature provider (github.com/open-feature/go-sdk) for the
// canary-flags Go SDK: flags are evaluated locally from the streamed rules, and tracking events
// feed the guard (an "error" event with a "flag" attribute counts an error, a "duration" event
// with the request's milliseconds as its value counts a duration).
package openfeature

import (
	"context"
	"errors"
	"time"

	canary "github.com/canary-flags/canary-flags/sdk/go"
	of "github.com/open-feature/go-sdk/openfeature"
)

// Options configure the provider beyond the SDK's Config.
type Options struct {
	// InitTimeout bounds how long Init waits for flag state. Default 10 s.
	InitTimeout time.Duration
	// ErrorEvent is the tracking event name that counts an error. Default "error".
	ErrorEvent string
	// DurationEvent is the tracking event name whose value (ms) is a request duration. Default "duration".
	DurationEvent string
}

// Provider implements of.FeatureProvider, of.StateHandler, of.EventHandler and of.Tracker.
type Provider struct {
	cfg    canary.Config
	opts   Options
	client *canary.Client
	events chan of.Event
}

var (
	_ of.FeatureProvider = (*Provider)(nil)
	_ of.StateHandler    = (*Provider)(nil)
	_ of.EventHandler    = (*Provider)(nil)
	_ of.Tracker         = (*Provider)(nil)
)

// NewProvider makes a provider; the SDK client starts in Init (when it is registered).
func NewProvider(cfg canary.Config, opts Options) *Provider {
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = 10 * time.Second
	}
	if opts.ErrorEvent == "" {
		opts.ErrorEvent = "error"
	}
	if opts.DurationEvent == "" {
		opts.DurationEvent = "duration"
	}
	return &Provider{cfg: cfg, opts: opts, events: make(chan of.Event, 64)}
}

// Client is the SDK client behind the provider (nil before Init).
func (p *Provider) Client() *canary.Client { return p.client }

func (p *Provider) Metadata() of.Metadata { return of.Metadata{Name: "canary-flags"} }

func (p *Provider) Hooks() []of.Hook { return nil }

func (p *Provider) EventChannel() <-chan of.Event { return p.events }

func (p *Provider) emit(t of.EventType, details of.ProviderEventDetails) {
	select {
	case p.events <- of.Event{ProviderName: "canary-flags", EventType: t, ProviderEventDetails: details}:
	default: // nobody is reading fast enough; events are advisory
	}
}

// Init starts the SDK client and waits for flag state (a bootstrap or cache answers at once).
func (p *Provider) Init(of.EvaluationContext) error {
	cfg := p.cfg
	onChange, onStatus := cfg.OnChange, cfg.OnStatus
	cfg.OnChange = func(keys []string) {
		p.emit(of.ProviderConfigChange, of.ProviderEventDetails{Message: "flags changed", FlagChanges: keys})
		if onChange != nil {
			onChange(keys)
		}
	}
	cfg.OnStatus = func(s canary.Status) {
		switch s {
		case canary.StatusStale:
			p.emit(of.ProviderStale, of.ProviderEventDetails{Message: "connection lost; answering from the last known state"})
		case canary.StatusReady:
			p.emit(of.ProviderReady, of.ProviderEventDetails{Message: "in sync"})
		case canary.StatusFatal:
			p.emit(of.ProviderError, of.ProviderEventDetails{Message: "the SDK key was refused", ErrorCode: of.ProviderFatalCode})
		}
		if onStatus != nil {
			onStatus(s)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.InitTimeout)
	defer cancel()
	client, err := canary.New(ctx, cfg)
	if err != nil {
		return err
	}
	p.client = client
	if err := client.WaitForReady(ctx); err != nil {
		if errors.Is(err, canary.ErrKeyRefused) {
			return &of.ProviderInitError{ErrorCode: of.ProviderFatalCode, Message: err.Error()}
		}
		return err
	}
	return nil
}

// Shutdown flushes the guard counts and disconnects.
func (p *Provider) Shutdown() {
	if p.client != nil {
		_ = p.client.Close()
	}
}

// userOf: the targeting key is the userId; other context fields are attributes.
func userOf(flat of.FlattenedContext) canary.User {
	key, _ := flat[of.TargetingKey].(string)
	attributes := make(map[string]any, len(flat))
	for k, v := range flat {
		if k != of.TargetingKey {
			attributes[k] = v
		}
	}
	return canary.UserFromMap(key, attributes)
}

func userOfContext(ec of.EvaluationContext) canary.User {
	return canary.UserFromMap(ec.TargetingKey(), ec.Attributes())
}

// BooleanEvaluation evaluates locally (SPEC.md §4 for the reasons) and counts an exposure.
func (p *Provider) BooleanEvaluation(_ context.Context, flag string, defaultValue bool, flat of.FlattenedContext) of.BoolResolutionDetail {
	if p.client == nil {
		return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: of.ProviderResolutionDetail{
			ResolutionError: of.NewProviderNotReadyResolutionError("the provider is not initialised"), Reason: of.ErrorReason}}
	}
	r := p.client.Evaluate(flag, userOf(flat))
	detail := of.ProviderResolutionDetail{FlagMetadata: of.FlagMetadata{"canaryReason": r.Reason}}
	fail := func(e of.ResolutionError) of.BoolResolutionDetail {
		detail.ResolutionError, detail.Reason = e, of.ErrorReason
		return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: detail}
	}
	switch {
	case r.Enabled && r.Split:
		detail.Reason, detail.Variant = of.SplitReason, "on"
	case r.Enabled:
		detail.Reason, detail.Variant = of.TargetingMatchReason, "on"
	case r.Reason == canary.ReasonOff:
		detail.Reason, detail.Variant = of.DisabledReason, "off"
	case r.Reason == canary.ReasonUnknownFlag:
		return fail(of.NewFlagNotFoundResolutionError("flag " + flag + " not found"))
	case r.Reason == canary.ReasonNotReady:
		return fail(of.NewProviderNotReadyResolutionError("no flag state yet"))
	case r.Reason == canary.ReasonError:
		return fail(of.NewParseErrorResolutionError("the flag's rules are malformed"))
	case r.Reason == canary.ReasonMissingStickiness:
		return fail(of.NewTargetingKeyMissingResolutionError("a partial rollout needs targetingKey"))
	default:
		detail.Reason, detail.Variant = of.DefaultReason, "off"
	}
	return of.BoolResolutionDetail{Value: r.Enabled, ProviderResolutionDetail: detail}
}

func typeMismatch() of.ProviderResolutionDetail {
	return of.ProviderResolutionDetail{ResolutionError: of.NewTypeMismatchResolutionError("canary-flags flags are boolean"), Reason: of.ErrorReason}
}

func (p *Provider) StringEvaluation(_ context.Context, _ string, d string, _ of.FlattenedContext) of.StringResolutionDetail {
	return of.StringResolutionDetail{Value: d, ProviderResolutionDetail: typeMismatch()}
}

func (p *Provider) FloatEvaluation(_ context.Context, _ string, d float64, _ of.FlattenedContext) of.FloatResolutionDetail {
	return of.FloatResolutionDetail{Value: d, ProviderResolutionDetail: typeMismatch()}
}

func (p *Provider) IntEvaluation(_ context.Context, _ string, d int64, _ of.FlattenedContext) of.IntResolutionDetail {
	return of.IntResolutionDetail{Value: d, ProviderResolutionDetail: typeMismatch()}
}

func (p *Provider) ObjectEvaluation(_ context.Context, _ string, d any, _ of.FlattenedContext) of.InterfaceResolutionDetail {
	return of.InterfaceResolutionDetail{Value: d, ProviderResolutionDetail: typeMismatch()}
}

// Track feeds the guard: `error` (with a "flag" attribute) counts an error of the code path the
// context's user got; `duration` (value in ms, "flag" attribute) counts its duration.
func (p *Provider) Track(_ context.Context, name string, ec of.EvaluationContext, details of.TrackingEventDetails) {
	if p.client == nil {
		return
	}
	flag, _ := details.Attributes()["flag"].(string)
	if flag == "" {
		return
	}
	switch name {
	case p.opts.ErrorEvent:
		p.client.RecordError(flag, userOfContext(ec))
	case p.opts.DurationEvent:
		ms := details.Value()
		if ms >= 0 {
			p.client.RecordDuration(flag, userOfContext(ec), time.Duration(ms*float64(time.Millisecond)))
		}
	}
}
