package openfeature

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	canary "github.com/canary-flags/canary-flags/sdk/go"
	of "github.com/open-feature/go-sdk/openfeature"
)

func raw(v any) json.RawMessage {
	data, _ := json.Marshal(v)
	return data
}

func flag(key string, enabled bool, cohorts ...any) json.RawMessage {
	if cohorts == nil {
		cohorts = []any{}
	}
	return raw(map[string]any{"key": key, "enabled": enabled, "cohorts": cohorts, "version": 1})
}

func cohort(name string, rollout float64, conditions ...any) map[string]any {
	if conditions == nil {
		conditions = []any{}
	}
	return map[string]any{"name": name, "conditions": conditions, "rollout": rollout}
}

// A server that refuses the stream (404: the SDK keeps retrying) and records the metrics the
// SDK posts over its HTTP fallback, so tracked errors can be read as the server gets them.
type metricsSink struct {
	mu      sync.Mutex
	batches []map[string]any
}

func (s *metricsSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/metrics" {
		http.NotFound(w, r)
		return
	}
	var body struct {
		Batch map[string]any `json:"batch"`
	}
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &body)
	s.mu.Lock()
	s.batches = append(s.batches, body.Batch)
	s.mu.Unlock()
	_, _ = w.Write([]byte(`{"duplicate":false}`))
}

// canaryErrors sums the canary errors the server received for a flag.
func (s *metricsSink) canaryErrors(flag string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0.0
	for _, b := range s.batches {
		flags, _ := b["flags"].(map[string]any)
		f, _ := flags[flag].(map[string]any)
		arm, _ := f["canary"].(map[string]any)
		n, _ := arm["errors"].(float64)
		total += n
	}
	return total
}

func TestProviderResolvesAndTracksErrors(t *testing.T) {
	sink := &metricsSink{}
	server := httptest.NewServer(sink)
	defer server.Close()
	inBeta := map[string]any{"attribute": "userId", "operator": "in", "values": []any{"u1"}}
	inEU := map[string]any{"attribute": "region", "operator": "in", "values": []any{"eu"}}
	hasTargetingKey := map[string]any{"attribute": "targetingKey", "operator": "exists", "values": []any{}}
	snapshot := &canary.Snapshot{Environment: "test", Version: 1, Segments: []json.RawMessage{}, Flags: []json.RawMessage{
		flag("beta", true, cohort("beta", 100, inBeta)),
		flag("half", true, cohort("half", 50)),
		flag("eu", true, cohort("eu", 100, inEU)),
		flag("targeting-key", true, cohort("any", 100, hasTargetingKey)),
		flag("dark", false),
		raw(map[string]any{"key": "broken", "enabled": "yes"}),
	}}
	provider := NewProvider(canary.Config{
		URL: server.URL, ServerKey: "cf_server_test", Bootstrap: snapshot,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, Options{})
	if err := of.SetProviderAndWait(provider); err != nil {
		t.Fatal(err)
	}
	defer of.Shutdown()
	client := of.NewClient("test")
	ctx := context.Background()
	u1 := of.NewEvaluationContext("u1", map[string]any{"region": "eu"})

	check := func(flagKey string, ec of.EvaluationContext, value bool, reason of.Reason, code of.ErrorCode) {
		t.Helper()
		d, _ := client.BooleanValueDetails(ctx, flagKey, false, ec)
		if d.Value != value || d.Reason != reason || d.ErrorCode != code {
			t.Fatalf("%s: value %v reason %s code %s (%s)", flagKey, d.Value, d.Reason, d.ErrorCode, d.ErrorMessage)
		}
	}
	check("beta", u1, true, of.TargetingMatchReason, "")
	check("beta", of.NewEvaluationContext("u2", nil), false, of.DefaultReason, "")
	// The context's attributes are the user's; the targeting key is its userId, not an attribute.
	check("eu", u1, true, of.TargetingMatchReason, "")
	check("eu", of.NewEvaluationContext("u1", map[string]any{"region": "us"}), false, of.DefaultReason, "")
	check("targeting-key", u1, false, of.DefaultReason, "")
	check("dark", u1, false, of.DisabledReason, "")
	check("missing", u1, false, of.ErrorReason, of.FlagNotFoundCode)
	check("broken", u1, false, of.ErrorReason, of.ParseErrorCode)
	check("half", of.NewEvaluationContext("", nil), false, of.ErrorReason, of.TargetingKeyMissingCode)
	// Half of a partial rollout is in by the hash: SPLIT for them, DEFAULT for the rest.
	split := 0
	for i := 0; i < 200; i++ {
		d, _ := client.BooleanValueDetails(ctx, "half", false, of.NewEvaluationContext("user-"+time.Duration(i).String(), nil))
		if d.Value {
			if d.Reason != of.SplitReason || d.Variant != "on" {
				t.Fatalf("an included user: %+v", d)
			}
			split++
		}
	}
	if split < 60 || split > 140 {
		t.Fatalf("%d of 200 in a 50%% rollout", split)
	}
	if s, _ := client.StringValueDetails(ctx, "beta", "x", u1); s.ErrorCode != of.TypeMismatchCode {
		t.Fatalf("string evaluation: %+v", s)
	}

	// track('error') counts an error in the arm the user is in; it reaches the server. Two
	// failing requests (an evaluation and an error each): never more errors than exposures in
	// a batch, so an error without its exposure would wait for one (SPEC.md §9.2).
	for i := 0; i < 2; i++ {
		if on, _ := client.BooleanValue(ctx, "beta", false, u1); !on {
			t.Fatal("beta is on for u1")
		}
		client.Track(ctx, "error", u1, of.NewTrackingEventDetails(1).Add("flag", "beta"))
	}
	deadline := time.Now().Add(20 * time.Second)
	for sink.canaryErrors("beta") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("tracked errors did not reach the server: %v", sink.batches)
		}
		provider.Client().Flush()
		time.Sleep(20 * time.Millisecond)
	}
	if got := sink.canaryErrors("beta"); got != 2 {
		t.Fatalf("%v canary errors", got)
	}
}
