package canary

import (
	"context"
	"errors"
	"testing"
)

// TestAPanicInEvaluationIsSwallowed: whatever goes wrong inside an evaluation (here a nil
// condition, which no compiled flag holds), IsEnabled answers false, Evaluate "error", and
// RecordError and Run neither panic nor count; the caller never sees the panic.
func TestAPanicInEvaluationIsSwallowed(t *testing.T) {
	c := newOfflineClient(t, benchSnapshot())
	e := c.state.Load().index.get(richKey)
	e.flag.cohorts[0].conditions = []condition{nil}
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
