package canary

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Server messages and what the SDK does with each (SPEC.md §5.1).

type serverMessage struct {
	Type        string            `json:"type"`
	Environment string            `json:"environment"`
	Version     *float64          `json:"version"`
	Flags       []json.RawMessage `json:"flags"`
	Segments    []json.RawMessage `json:"segments"`
	Changes     []json.RawMessage `json:"changes"`
	ID          *string           `json:"id"`
	Error       *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// frameAction is what a frame asks of the connection.
type frameAction int

const (
	actionNone      frameAction = iota
	actionHello                 // resync: say hello again on this socket
	actionReconnect             // a second gap while resyncing: start over
)

// handleFrame applies one text frame and acts on the outcome.
func (c *Client) handleFrame(s *session, data []byte) {
	switch c.applyFrame(s, data) {
	case actionHello:
		c.hello(s)
	case actionReconnect:
		s.conn.CloseNow()
	}
}

// applyFrame applies one frame to the held state; resyncing is the session's sequencing state.
func (c *Client) applyFrame(s *session, data []byte) frameAction {
	var m serverMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return c.resync(s, "unparseable frame")
	}
	switch m.Type {
	case "pong":
		return actionNone
	case "metrics_ack":
		if m.ID == nil {
			return c.resync(s, "metrics_ack without id")
		}
		if m.Error != nil {
			c.cfg.Logger.Warn("canary: the server refused a metrics batch", "code", m.Error.Code, "message", m.Error.Message)
		}
		c.reporter.ack(*m.ID)
		return actionNone
	case "snapshot":
		if !isVersion(m.Version) || m.Flags == nil || m.Segments == nil {
			return c.resync(s, "malformed snapshot")
		}
		snap := &Snapshot{Environment: m.Environment, Version: int64(*m.Version), Flags: m.Flags, Segments: m.Segments}
		previous := c.state.Load()
		c.publish(stateFromSnapshot(snap, c.counters.of))
		c.inSync(s, nil)
		c.markReady()
		if previous != nil && c.cfg.OnChange != nil {
			c.cfg.OnChange(nil) // a whole new state: any flag may have changed
		}
		return actionNone
	case "changes":
		if m.Changes == nil {
			return c.resync(s, "malformed changes")
		}
		held := c.state.Load()
		if held == nil {
			return c.resync(s, "changes without a snapshot")
		}
		next, outcome := applyChanges(held, m.Changes, c.counters.of)
		if outcome.applied {
			c.publish(next)
			if c.cfg.OnChange != nil {
				c.cfg.OnChange(changedKeys(m.Changes))
			}
		}
		if outcome.resync {
			return c.resync(s, "changes did not follow the held version")
		}
		c.inSync(s, nil)
		return actionNone
	}
	return c.resync(s, "unknown message type "+m.Type)
}

// changedKeys names the flags a frame's changes touched; nil (every flag) after a segment change.
func changedKeys(raws []json.RawMessage) []string {
	var keys []string
	for _, raw := range raws {
		var c struct {
			Type string `json:"type"`
			Key  string `json:"key"`
			Flag struct {
				Key string `json:"key"`
			} `json:"flag"`
		}
		_ = json.Unmarshal(raw, &c)
		switch c.Type {
		case "flag":
			keys = append(keys, c.Flag.Key)
		case "flag_deleted":
			keys = append(keys, c.Key)
		default:
			return nil
		}
	}
	return keys
}

// inSync: a message applied in order; the resync (if any) is over.
func (c *Client) inSync(s *session, _ []string) {
	s.resyncing = false
	c.setStatus(StatusReady)
}

// resync asks for the state again (hello), or reconnects when asking already failed once.
func (c *Client) resync(s *session, why string) frameAction {
	c.cfg.Logger.Debug("canary: resync", "why", why)
	if s.resyncing {
		return actionReconnect
	}
	s.resyncing = true
	return actionHello
}

// sendBatch writes a metrics batch on the live socket.
func (c *Client) sendBatch(b *MetricsBatch) bool {
	c.mu.Lock()
	s := c.session
	c.mu.Unlock()
	return s != nil && s.write(metricsMessage{Type: "metrics", Batch: b})
}

// postBatch is the HTTP fallback (SPEC.md §8): delivered, retry later, or drop for good.
func (c *Client) postBatch(ctx context.Context, b *MetricsBatch) postOutcome {
	body, err := json.Marshal(map[string]any{"batch": b})
	if err != nil {
		return postDrop
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoints.metrics, bytes.NewReader(body))
	if err != nil {
		return postDrop
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.ServerKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return postRetry
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return httpOutcome(resp.StatusCode)
}

// snapshotFallback fetches the environment's snapshot over HTTP when the stream could not be
// opened and no state is held (SPEC.md §8); the stream, once up, resumes from its version.
func (c *Client) snapshotFallback() {
	if c.cfg.Environment == "" || c.state.Load() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoints.snapshot(c.cfg.Environment), nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.ServerKey)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.cfg.Logger.Debug("canary: snapshot fallback refused", "status", resp.StatusCode)
		return
	}
	var snap Snapshot
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxFrameBytes)).Decode(&snap); err != nil || snap.Flags == nil || snap.Segments == nil {
		c.cfg.Logger.Warn("canary: the snapshot fallback answered something else than a snapshot", "error", err)
		return
	}
	if c.state.CompareAndSwap(nil, stateFromSnapshot(&snap, c.counters.of)) {
		// The status first: a WaitForReady that returns must already read it.
		c.setStatus(StatusStale)
		c.markReady()
		select {
		case c.cacheCh <- struct{}{}:
		default:
		}
	}
}

// httpOutcome classifies an HTTP answer: 401/403 and other 4xx are final; 404 (no metrics
// endpoint yet), 408, 425, 429, 5xx are worth another try.
func httpOutcome(status int) postOutcome {
	switch {
	case status >= 200 && status < 300:
		return postDelivered
	case status == 404 || status == 408 || status == 425 || status == 429 || status >= 500:
		return postRetry
	}
	return postDrop
}
