package canary

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// End to end against the real server (SPEC.md §5, §6, §9): the Go SDK on a real WebSocket to
// `canary serve`, driven through the admin API.

var everyone = map[string]any{"enabled": true, "cohorts": []any{map[string]any{"name": "everyone", "conditions": []any{}, "rollout": 100}}}

func ready(t *testing.T, c *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitForReady(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestE2EAdminChangeReachesTheSDK(t *testing.T) {
	f := newFixture(t)
	f.setFlag(t, "checkout-v2", map[string]any{"enabled": false, "cohorts": []any{}})
	c, err := New(context.Background(), quietConfig(f.server.url, f.key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ready(t, c)
	user := User{Key: "u1"}
	if r := c.Evaluate("checkout-v2", user); r.Reason != ReasonOff {
		t.Fatalf("before the change: %+v", r)
	}
	f.setFlag(t, "checkout-v2", everyone)
	waitFor(t, "the change to reach the SDK", 20*time.Second, func() bool { return c.IsEnabled("checkout-v2", user) })
	if r := c.Evaluate("checkout-v2", user); r != (Result{Enabled: true, Reason: "cohort:everyone", Cohort: "everyone", Split: false}) {
		t.Fatalf("after the change: %+v", r)
	}
	waitFor(t, "the SDK to hold the server's version", 20*time.Second, func() bool { return c.Version() == f.envVersion(t) })
	if c.Status() != StatusReady {
		t.Fatalf("status %s", c.Status())
	}

	// The connections view names the SDK, its language and version, and the protocol.
	waitFor(t, "the connection to be listed", 20*time.Second, func() bool {
		items := mustAPI(t, f.server.url, f.admin, "GET", "/api/v1/connections", nil, 200)["items"].([]any)
		for _, item := range items {
			conn := item.(map[string]any)
			if conn["sdk"] == "canary-flags-go/"+Version {
				if conn["language"] != "go" || conn["sdkVersion"] != Version || conn["protocol"] != Protocol {
					t.Fatalf("connection %v", conn)
				}
				return true
			}
		}
		return false
	})
}

func TestE2EKillAndRestartResumesWithoutAGap(t *testing.T) {
	f := newFixture(t)
	f.setFlag(t, "a", everyone)
	var mu sync.Mutex
	var seen [][]string
	cfg := quietConfig(f.server.url, f.key)
	cfg.OnChange = func(keys []string) {
		mu.Lock()
		seen = append(seen, keys)
		mu.Unlock()
	}
	cfg.CacheFile = filepath.Join(t.TempDir(), "flags-cache.json")

	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ready(t, c)
	waitFor(t, "the snapshot", 20*time.Second, func() bool { return c.Status() == StatusReady })
	before := c.Version()

	f.server.kill()
	waitFor(t, "the SDK to notice the server is gone", 40*time.Second, func() bool { return c.Status() == StatusStale })
	// Down: answers keep coming from the last known state.
	if !c.IsEnabled("a", User{Key: "u1"}) {
		t.Fatal("the last known state was dropped")
	}
	f.server = startServer(t, f.db, f.server.port, false)
	// Two changes right after the restart, whether or not the SDK is back yet: it must end up
	// with both, applied in order (its hello names its version: the server sends exactly what it missed).
	f.setFlag(t, "a", map[string]any{"enabled": false})
	f.setFlag(t, "b", everyone)
	want := f.envVersion(t)
	waitFor(t, "the SDK to catch up", 40*time.Second, func() bool { return c.Version() == want })
	if c.IsEnabled("a", User{Key: "u1"}) || !c.IsEnabled("b", User{Key: "u1"}) {
		t.Fatalf("after the restart: a=%+v b=%+v", c.Evaluate("a", User{Key: "u1"}), c.Evaluate("b", User{Key: "u1"}))
	}
	if want <= before {
		t.Fatalf("version %d after %d", want, before)
	}
	// Resumed, not reloaded: after the first snapshot, every update was a change of named flags
	// (a snapshot would have been announced as every flag, nil). OnChange follows the publish.
	changed := func() (map[string]bool, bool) {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]bool{}
		for _, keys := range seen {
			if keys == nil {
				return nil, false
			}
			for _, k := range keys {
				out[k] = true
			}
		}
		return out, true
	}
	waitFor(t, "both changes to be announced", 20*time.Second, func() bool {
		keys, resumed := changed()
		if !resumed {
			t.Fatalf("a whole-state reload after the restart: %v", seen)
		}
		return keys["a"] && keys["b"]
	})
}

func TestE2EErrorReportsTripTheGuardAndTheSDKSeesItOff(t *testing.T) {
	f := newFixture(t)
	f.setFlag(t, "checkout-v2", map[string]any{"enabled": true, "cohorts": []any{map[string]any{"name": "canary", "conditions": []any{}, "rollout": 50}}})
	mustAPI(t, f.server.url, f.admin, "PUT", "/api/v1/environments/production/flags/checkout-v2/guard", map[string]any{"maxErrorRate": 0.05}, 200)
	c, err := New(context.Background(), quietConfig(f.server.url, f.key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ready(t, c)
	// Rounds of traffic: every canary request fails, control never does.
	off := func() bool { return c.Evaluate("checkout-v2", User{Key: "probe"}).Reason == ReasonOff }
	deadline := time.Now().Add(90 * time.Second)
	for round := 0; !off(); round++ {
		if time.Now().After(deadline) {
			t.Fatalf("the guard did not trip: %v", mustAPI(t, f.server.url, f.admin, "GET", "/api/v1/environments/production/flags/checkout-v2/guard", nil, 200))
		}
		for i := 0; i < 200; i++ {
			user := User{Key: "user-" + itoa(round) + "-" + itoa(i)}
			_ = c.Run(context.Background(), "checkout-v2", user,
				func(context.Context) error { return errors.New("the new checkout failed") },
				func(context.Context) error { return nil })
		}
		c.Flush()
		time.Sleep(100 * time.Millisecond)
	}
	state := mustAPI(t, f.server.url, f.admin, "GET", "/api/v1/environments/production/flags/checkout-v2", nil, 200)
	if state["enabled"] != false {
		t.Fatalf("the SDK sees off but the server says %v", state)
	}
	audit := mustAPI(t, f.server.url, f.admin, "GET", "/api/v1/audit?flag=checkout-v2&limit=1", nil, 200)["items"].([]any)[0].(map[string]any)
	if audit["actor"] != "guard" || audit["action"] != "guard.trip" {
		t.Fatalf("last audit entry %v", audit)
	}
	// Every batch was taken: none refused for errors outside their exposures.
	waitFor(t, "every batch to be acknowledged", 20*time.Second, func() bool { c.Flush(); return c.PendingBatches() == 0 })
}

func TestE2ERevokedKeyStopsReconnecting(t *testing.T) {
	f := newFixture(t)
	f.setFlag(t, "a", everyone)
	c, err := New(context.Background(), quietConfig(f.server.url, f.key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ready(t, c)
	waitFor(t, "the connection", 20*time.Second, func() bool { return c.Status() == StatusReady })
	mustAPI(t, f.server.url, f.admin, "DELETE", "/api/v1/keys/"+f.keyID, nil, 200)
	waitFor(t, "the SDK to stop", 20*time.Second, func() bool { return c.Status() == StatusFatal })
	// The connection loop has ended: it will never dial again.
	select {
	case <-c.loopDone:
	case <-time.After(20 * time.Second):
		t.Fatal("the connection loop is still running after the key was revoked")
	}
	// The last known state still answers.
	if !c.IsEnabled("a", User{Key: "u1"}) {
		t.Fatal("answers stopped with the key")
	}
}

func TestE2EUnknownKeyIsRefusedOnce(t *testing.T) {
	f := newFixture(t)
	c, err := New(context.Background(), quietConfig(f.server.url, "cf_server_not-a-real-key"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitForReady(ctx); !errors.Is(err, ErrKeyRefused) {
		t.Fatalf("WaitForReady: %v", err)
	}
	<-c.loopDone
	if c.Status() != StatusFatal {
		t.Fatalf("status %s", c.Status())
	}
}

// A graceful shutdown (SIGTERM) closes every stream with 1012 and a window to spread the
// reconnects over; the SDK comes back to the successor on its restart schedule, resuming by version.
func TestE2EGracefulRestartResumes(t *testing.T) {
	f := newFixture(t)
	f.setFlag(t, "a", everyone)
	c, err := New(context.Background(), quietConfig(f.server.url, f.key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ready(t, c)
	waitFor(t, "the connection", 20*time.Second, func() bool { return c.Status() == StatusReady })
	if err := f.server.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-f.server.exited
	waitFor(t, "the SDK to notice the restart", 20*time.Second, func() bool { return c.Status() == StatusStale })
	f.server = startServer(t, f.db, f.server.port, false)
	f.setFlag(t, "a", map[string]any{"enabled": false})
	want := f.envVersion(t)
	waitFor(t, "the SDK to resume on the successor", 40*time.Second, func() bool { return c.Version() == want && c.Status() == StatusReady })
	if c.IsEnabled("a", User{Key: "u1"}) {
		t.Fatal("the change after the restart was not applied")
	}
}

// Frames of 1 KiB and more come permessage-deflate compressed (no context takeover) when the
// SDK offers it: a snapshot of many flags must arrive whole.
func TestE2ECompressedSnapshot(t *testing.T) {
	f := newFixture(t)
	const flags = 40
	for i := 0; i < flags; i++ {
		f.setFlag(t, "flag-"+itoa(i), everyone)
	}
	c, err := New(context.Background(), quietConfig(f.server.url, f.key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ready(t, c)
	for i := 0; i < flags; i++ {
		if !c.IsEnabled("flag-"+itoa(i), User{Key: "u1"}) {
			t.Fatalf("flag-%d missing from the snapshot", i)
		}
	}
}

// Counts made while the server is down wait in pending batches and are delivered once it is
// back: acknowledged, and counted exactly once (SPEC.md §9.3).
func TestE2ECountsMadeDuringAnOutageArriveOnce(t *testing.T) {
	f := newFixture(t)
	f.setFlag(t, "a", everyone)
	c, err := New(context.Background(), quietConfig(f.server.url, f.key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ready(t, c)
	f.server.kill()
	waitFor(t, "the SDK to notice the outage", 40*time.Second, func() bool { return c.Status() == StatusStale })
	for i := 0; i < 15; i++ {
		c.IsEnabled("a", User{Key: "user-" + itoa(i)})
	}
	c.Flush()
	if c.PendingBatches() == 0 {
		t.Fatal("a batch made during the outage was dropped")
	}
	f.server = startServer(t, f.db, f.server.port, false)
	waitFor(t, "the pending batches to be acknowledged", 40*time.Second, func() bool { return c.PendingBatches() == 0 })
	metrics := mustAPI(t, f.server.url, f.admin, "GET", "/api/v1/environments/production/flags/a/metrics?span=15m", nil, 200)
	total := 0.0
	for _, m := range metrics["minutes"].([]any) {
		total += m.(map[string]any)["canaryExposures"].(float64)
	}
	if total != 15 {
		t.Fatalf("%v canary exposures counted, want 15: %v", total, metrics["minutes"])
	}
}
