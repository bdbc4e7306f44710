package canary

import (
	"context"
	"errors"
	"log/slog"
	"testing"
)

// TestAPanicInEvaluationIsSwallowed: whatever goes wrong inside an evaluation (here a
// condition of neither kind, which no compiled flag holds), IsEnabled answers false, Evaluate "error", and
// RecordError and Run neither panic nor count; the caller never sees the panic.
func TestAPanicInEvaluationIsSwallowed(t *testing.T) {
	c := newOfflineClient(t, benchSnapshot())
	e := c.state.Load().index.get(richKey)
	e.flag.cohorts[0].conditions = []cohortCondition{{}}
	// A condition that is not a text condition leaves the fast path (evaluatefast.go), which
	// reads only strings and the SDK's state and defers no recover.
	e.flag.mode = modeCohorts
	user := NewUser(benchUserID(2500)) // in the beta list: on, were the flag intact
	if c.IsEnabled(richKey, user) {
		t.Fatal("IsEnabled answered true")
	}
	if r := c.Evaluate(richKey, user); r.Reason != ReasonError || r.Enabled {
		t.Fatalf("Evaluate answered %+v", r)
	}
	c.RecordError(richKey, user)
	ran := ""
	err := c.Run(context.Background(), richKey, user,
		func(context.Context) error { ran = "on"; return nil },
		func(context.Context) error { ran = "off"; return errors.New("off failed") })
	if ran != "off" || err == nil {
		t.Fatalf("Run ran %q, returned %v", ran, err)
	}
	if !c.IsEnabled(plainKey, user) {
		t.Fatal("the intact flag stopped answering")
	}
}

// panickingHandler is a slog.Handler that panics on every record: the application's own code.
type panickingHandler struct{ slog.Handler }

func (panickingHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (panickingHandler) Handle(context.Context, slog.Record) error { panic("handler") }

// TestIsEnabledNeverPanicsOutsideTheEvaluation: IsEnabled defers no recover of its own, so the
// rest of its path must not panic either: a nil client, an unknown flag whose warning panics in
// the application's logger.
func TestIsEnabledNeverPanicsOutsideTheEvaluation(t *testing.T) {
	var nilClient *Client
	if nilClient.IsEnabled(plainKey, NewUser("u")) {
		t.Fatal("a nil client answered true")
	}
	c := newOfflineClient(t, benchSnapshot())
	c.cfg.Logger = slog.New(panickingHandler{})
	if c.IsEnabled("no-such-flag", NewUser("u")) {
		t.Fatal("an unknown flag answered true")
	}
	if !c.IsEnabled(plainKey, NewUser("u")) {
		t.Fatal("the plain flag stopped answering")
	}
}
