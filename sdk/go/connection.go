package canary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The stream (SPEC.md §5, §6): one WebSocket at a time, hello with the held version, messages
// applied in version order with a resync on a gap, pings to detect a silent peer, and
// reconnects with backoff; a refused or revoked key stops for good.

// Close codes the SDK acts on (SPEC.md §6).
const (
	closeRestart = 1012
	closeRevoked = 4401
)

// maxFrameBytes: a snapshot of 10,000 flags is a few MiB; frames are bounded only for sanity.
const maxFrameBytes = 256 << 20

type session struct {
	conn       *websocket.Conn
	ctx        context.Context
	writeMu    sync.Mutex
	resyncing  bool // only touched by the reader goroutine
	unanswered atomic.Bool
}

func (s *session) write(v any) bool {
	data, err := json.Marshal(v)
	if err != nil {
		return false
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	return s.conn.Write(ctx, websocket.MessageText, data) == nil
}

type helloMessage struct {
	Type    string `json:"type"`
	SDK     string `json:"sdk"`
	Version *int64 `json:"version,omitempty"`
	// Bucketing: the cohort bucketing modes this SDK evaluates (SPEC.md §3.1, §5.1).
	Bucketing []string `json:"bucketing"`
}

type pingMessage struct {
	Type    string `json:"type"`
	Version *int64 `json:"version,omitempty"`
}

type metricsMessage struct {
	Type  string        `json:"type"`
	Batch *MetricsBatch `json:"batch"`
}

func (c *Client) heldVersion() *int64 {
	if s := c.state.Load(); s != nil {
		v := s.version
		return &v
	}
	return nil
}

func (c *Client) hello(s *session) bool {
	return s.write(helloMessage{Type: "hello", SDK: c.cfg.SDKName, Version: c.heldVersion(), Bucketing: BucketingModes})
}

func (c *Client) connectLoop() {
	defer close(c.loopDone)
	for c.ctx.Err() == nil {
		wait, stop := c.connectOnce()
		if stop || !c.sleep(wait) {
			return
		}
	}
}

// connectOnce opens one connection and runs it until it ends; returns the delay before the
// next attempt, or stop when the key was refused or the client closed.
func (c *Client) connectOnce() (waitMs float64, stop bool) {
	httpClient := *c.cfg.HTTPClient
	httpClient.Timeout = 0 // the dial context bounds the handshake
	dialCtx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	conn, resp, err := websocket.Dial(dialCtx, c.endpoints.stream, &websocket.DialOptions{
		HTTPClient:      &httpClient,
		HTTPHeader:      http.Header{"Authorization": []string{"Bearer " + c.cfg.ServerKey}},
		Subprotocols:    []string{Protocol},
		CompressionMode: websocket.CompressionNoContextTakeover,
	})
	cancel()
	if err != nil {
		if c.ctx.Err() != nil {
			return 0, true
		}
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			c.fatal(fmt.Sprintf("the server refused the SDK key (HTTP %d)", resp.StatusCode))
			return 0, true
		}
		c.cfg.Logger.Debug("canary: connection attempt failed", "error", err)
		c.snapshotFallback()
		return c.backoff.fail(float64(nowMillis())), false
	}
	if conn.Subprotocol() != Protocol {
		conn.Close(websocket.StatusProtocolError, "expected "+Protocol)
		return c.backoff.fail(float64(nowMillis())), false
	}
	conn.SetReadLimit(maxFrameBytes)
	c.backoff.success(float64(nowMillis()))
	code, reason := c.runSession(conn)
	switch {
	case c.ctx.Err() != nil:
		return 0, true
	case code == closeRevoked:
		c.fatal("the SDK key was revoked")
		return 0, true
	case code == closeRestart:
		return c.backoff.restart(float64(nowMillis()), restartSpreadOf(reason)), false
	}
	return c.backoff.fail(float64(nowMillis())), false
}

// runSession says hello, reads frames and pings until the connection ends; returns the close
// code and reason (-1 when the connection dropped without a close frame).
func (c *Client) runSession(conn *websocket.Conn) (int, string) {
	s := &session{conn: conn, ctx: c.ctx}
	readErr := make(chan error, 1)
	go func() {
		for {
			typ, data, err := conn.Read(c.ctx)
			if err != nil {
				readErr <- err
				return
			}
			s.unanswered.Store(false)
			if typ == websocket.MessageText {
				c.handleFrame(s, data)
			}
		}
	}()
	c.mu.Lock()
	c.session = s
	c.mu.Unlock()
	c.hello(s)
	c.reporter.connected()
	defer func() {
		c.mu.Lock()
		c.session = nil
		c.mu.Unlock()
		c.reporter.disconnected()
		if c.state.Load() != nil {
			c.setStatus(StatusStale)
		}
	}()

	ticker := time.NewTicker(c.cfg.PingInterval)
	defer ticker.Stop()
	for {
		select {
		case err := <-readErr:
			var closeErr websocket.CloseError
			if errors.As(err, &closeErr) {
				return int(closeErr.Code), closeErr.Reason
			}
			return -1, ""
		case <-ticker.C:
			// A half-open TCP connection never errors, it just goes quiet.
			if s.unanswered.Load() {
				c.cfg.Logger.Debug("canary: no answer to the last ping; reconnecting")
				conn.CloseNow()
				<-readErr
				return -1, ""
			}
			s.unanswered.Store(true)
			s.write(pingMessage{Type: "ping", Version: c.heldVersion()})
		case <-c.ctx.Done():
			conn.Close(websocket.StatusNormalClosure, "client closed")
			<-readErr
			return int(websocket.StatusNormalClosure), "client closed"
		}
	}
}
