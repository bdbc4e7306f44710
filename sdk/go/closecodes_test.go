package canary

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A scripted stream server on loopback (real WebSockets): each accepted connection's hello is
// recorded and handed to the test's script, which answers and closes as it likes, so every
// close code of SPEC.md §6 can be played against the SDK.

type scriptedConn struct {
	conn  *websocket.Conn
	hello map[string]any
	in    chan map[string]any // every later message from the SDK
}

type scriptedServer struct {
	*httptest.Server
	mu    sync.Mutex
	conns []*scriptedConn
	next  chan *scriptedConn
}

func newScriptedServer(t *testing.T, status int) *scriptedServer {
	s := &scriptedServer{next: make(chan *scriptedConn, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status != 0 {
			http.Error(w, `{"error":{"code":"unauthorized","message":"invalid or revoked API key"}}`, status)
			return
		}
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{Protocol}})
		if err != nil {
			return
		}
		_, data, err := conn.Read(r.Context())
		if err != nil {
			return
		}
		sc := &scriptedConn{conn: conn, in: make(chan map[string]any, 64)}
		_ = json.Unmarshal(data, &sc.hello)
		s.mu.Lock()
		s.conns = append(s.conns, sc)
		s.mu.Unlock()
		s.next <- sc
		// Keep the handler (and the connection) alive until the script closes it.
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var m map[string]any
			_ = json.Unmarshal(data, &m)
			select {
			case sc.in <- m:
			default:
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scriptedServer) accept(t *testing.T) *scriptedConn {
	t.Helper()
	select {
	case c := <-s.next:
		return c
	case <-time.After(20 * time.Second):
		t.Fatal("the SDK did not connect")
		return nil
	}
}

func (c *scriptedConn) send(t *testing.T, v any) {
	t.Helper()
	data, _ := json.Marshal(v)
	if err := c.conn.Write(context.Background(), websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
}

func snapshotMessage(version int) map[string]any {
	return map[string]any{"type": "snapshot", "environment": "test", "version": version, "segments": []any{},
		"flags": []any{map[string]any{"key": "a", "enabled": true, "cohorts": []any{map[string]any{"name": "everyone", "conditions": []any{}, "rollout": 100}}, "version": version}}}
}

func scriptedClient(t *testing.T, url string, ping time.Duration) *Client {
	cfg := quietConfig(url, "cf_server_test")
	cfg.PingInterval = ping
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestCloseCodesThatReconnectResumeWithTheHeldVersion(t *testing.T) {
	for _, close := range []struct {
		code   websocket.StatusCode
		reason string
	}{
		{1012, "server restarting: reconnect within 1000 ms"},
		{4408, "slow consumer"},
		{1008, "hello.sdk must be a string"},
		{1011, "internal error"},
		{4429, "too many identities"},
	} {
		t.Run(close.reason, func(t *testing.T) {
			server := newScriptedServer(t, 0)
			c := scriptedClient(t, server.URL, time.Minute)
			first := server.accept(t)
			if first.hello["type"] != "hello" || !strings.HasPrefix(first.hello["sdk"].(string), "canary-flags-go/") || first.hello["version"] != nil {
				t.Fatalf("first hello %v", first.hello)
			}
			// SPEC.md §5.1: the hello announces the cohort bucketing modes this SDK evaluates.
			if modes := fmt.Sprint(first.hello["bucketing"]); modes != "[unleash launchdarkly]" {
				t.Fatalf("hello.bucketing %s", modes)
			}
			first.send(t, snapshotMessage(7))
			waitFor(t, "the snapshot", 10*time.Second, func() bool { return c.Status() == StatusReady })
			_ = first.conn.Close(close.code, close.reason)
			second := server.accept(t)
			if second.hello["version"] != float64(7) {
				t.Fatalf("the reconnect's hello %v does not name the held version", second.hello)
			}
			second.send(t, map[string]any{"type": "changes", "changes": []any{}})
			waitFor(t, "in sync again", 10*time.Second, func() bool { return c.Status() == StatusReady })
		})
	}
}

func TestRevokedCloseStopsForGood(t *testing.T) {
	server := newScriptedServer(t, 0)
	c := scriptedClient(t, server.URL, time.Minute)
	first := server.accept(t)
	first.send(t, snapshotMessage(3))
	waitFor(t, "the snapshot", 10*time.Second, func() bool { return c.Status() == StatusReady })
	_ = first.conn.Close(4401, "API key revoked")
	<-c.loopDone // the connection loop ended: no further attempt is ever made
	if c.Status() != StatusFatal || !c.IsEnabled("a", User{Key: "u"}) {
		t.Fatalf("status %s", c.Status())
	}
	server.mu.Lock()
	defer server.mu.Unlock()
	if len(server.conns) != 1 {
		t.Fatalf("%d connections after 4401", len(server.conns))
	}
}

func TestRefusedUpgradeStops(t *testing.T) {
	for _, status := range []int{401, 403} {
		server := newScriptedServer(t, status)
		c := scriptedClient(t, server.URL, time.Minute)
		<-c.loopDone
		if err := c.WaitForReady(context.Background()); err == nil || c.Status() != StatusFatal {
			t.Fatalf("HTTP %d: %v %s", status, err, c.Status())
		}
	}
}

func TestSilentServerIsDroppedAfterAnUnansweredPing(t *testing.T) {
	server := newScriptedServer(t, 0)
	c := scriptedClient(t, server.URL, 50*time.Millisecond)
	first := server.accept(t)
	first.send(t, snapshotMessage(1))
	// The server now says nothing (it neither pongs nor sends): a half-open connection. The SDK
	// gives up on it after one unanswered ping and connects again.
	second := server.accept(t)
	if second.hello["version"] != float64(1) {
		t.Fatalf("hello %v", second.hello)
	}
	_ = c
}

func TestAGapThenASecondGapReconnects(t *testing.T) {
	server := newScriptedServer(t, 0)
	c := scriptedClient(t, server.URL, time.Minute)
	first := server.accept(t)
	first.send(t, snapshotMessage(2))
	flag := func(v int) map[string]any {
		return map[string]any{"type": "flag", "version": v, "flag": map[string]any{"key": "a", "enabled": false, "cohorts": []any{}, "version": v}}
	}
	first.send(t, map[string]any{"type": "changes", "changes": []any{flag(4)}}) // a gap: hello again
	var again map[string]any
	for again["type"] != "hello" {
		select {
		case again = <-first.in:
		case <-time.After(10 * time.Second):
			t.Fatal("no resync hello")
		}
	}
	if again["version"] != float64(2) {
		t.Fatalf("resync hello %v", again)
	}
	first.send(t, map[string]any{"type": "changes", "changes": []any{flag(5)}}) // still a gap: start over
	second := server.accept(t)
	if second.hello["version"] != float64(2) || c.Version() != 2 {
		t.Fatalf("hello %v, version %d", second.hello, c.Version())
	}
}

// SPEC.md §8: with Environment set, a client that cannot open the stream (a proxy refusing
// upgrades) and holds no state fetches the snapshot over HTTP and answers from it.
func TestSnapshotFallbackWhileTheStreamIsRefused(t *testing.T) {
	var gotKey, gotModes string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/environments/prod/snapshot" {
			http.Error(w, "no upgrades here", http.StatusBadGateway)
			return
		}
		gotKey, gotModes = r.Header.Get("Authorization"), r.URL.Query().Get("bucketing")
		data, _ := json.Marshal(snapshotMessage(9))
		_, _ = w.Write(data)
	}))
	defer server.Close()
	cfg := quietConfig(server.URL, "cf_server_test")
	cfg.Environment = "prod"
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.WaitForReady(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Version() != 9 || !c.IsEnabled("a", User{Key: "u"}) || c.Status() != StatusStale || gotKey != "Bearer cf_server_test" || gotModes != "unleash,launchdarkly" {
		t.Fatalf("version %d status %s key %q bucketing %q", c.Version(), c.Status(), gotKey, gotModes)
	}
}
