package canary

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
)

// newOfflineClient is a client with no connection: frames are fed to it by hand.
func newOfflineClient(t testing.TB, bootstrap *Snapshot) *Client {
	t.Helper()
	c := &Client{
		cfg:      Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		counters: newCounters(0),
		status:   StatusNotReady,
		readyCh:  make(chan struct{}),
	}
	c.early = earlyFlush{now: make(chan struct{}, 1)}
	c.reporter = newReporter(100, func(*MetricsBatch) bool { return false }, nil)
	if bootstrap != nil {
		c.state.Store(stateFromSnapshot(bootstrap, c.counters.of))
	}
	return c
}

// The shared protocol scenarios (SPEC.md §5.1, sdk/fixtures/protocol-scenarios.json).
func TestProtocolScenarios(t *testing.T) {
	var fixture struct {
		Scenarios []struct {
			Name      string    `json:"name"`
			Bootstrap *Snapshot `json:"bootstrap"`
			Hello     *struct {
				Version int64 `json:"version"`
			} `json:"hello"`
			Steps []struct {
				Server json.RawMessage `json:"server"`
				Then   struct {
					Version *int64 `json:"version"`
					Action  string `json:"action"`
					Answers []struct {
						Flag    string         `json:"flag"`
						User    map[string]any `json:"user"`
						Enabled bool           `json:"enabled"`
						Reason  string         `json:"reason"`
					} `json:"answers"`
				} `json:"then"`
			} `json:"steps"`
		} `json:"scenarios"`
	}
	readFixture(t, "protocol-scenarios.json", &fixture)
	if len(fixture.Scenarios) < 5 {
		t.Fatalf("only %d scenarios", len(fixture.Scenarios))
	}
	actions := map[frameAction]string{actionNone: "none", actionHello: "hello", actionReconnect: "reconnect"}
	for _, sc := range fixture.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			c := newOfflineClient(t, sc.Bootstrap)
			held := c.heldVersion()
			if (sc.Hello == nil) != (held == nil) || (held != nil && *held != sc.Hello.Version) {
				t.Fatalf("hello version %v, want %+v", held, sc.Hello)
			}
			s := &session{}
			for i, step := range sc.Steps {
				frame := []byte(step.Server)
				var text string
				if json.Unmarshal(step.Server, &text) == nil {
					frame = []byte(text) // a raw text frame
				}
				got := actions[c.applyFrame(s, frame)]
				if got != step.Then.Action {
					t.Fatalf("step %d: action %s, want %s", i, got, step.Then.Action)
				}
				version := c.heldVersion()
				if (version == nil) != (step.Then.Version == nil) || (version != nil && *version != *step.Then.Version) {
					t.Fatalf("step %d: version %v, want %v", i, version, step.Then.Version)
				}
				for _, a := range step.Then.Answers {
					r := c.Evaluate(a.Flag, userFrom(a.User))
					if r.Enabled != a.Enabled || r.Reason != a.Reason {
						t.Fatalf("step %d: %s = %+v, want %v %s", i, a.Flag, r, a.Enabled, a.Reason)
					}
				}
			}
		})
	}
}
