package canary

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Status is where a Client stands (SPEC.md §10).
type Status string

const (
	// StatusNotReady: no flag state yet; every answer is false with reason not_ready.
	StatusNotReady Status = "not_ready"
	// StatusReady: connected and in sync with the server.
	StatusReady Status = "ready"
	// StatusStale: answering from a bootstrap, the cache or the last known state while (re)connecting.
	StatusStale Status = "stale"
	// StatusFatal: the server refused or revoked the key; answers come from the last known
	// state and the client never reconnects.
	StatusFatal Status = "fatal"
	// StatusClosed: Close was called.
	StatusClosed Status = "closed"
)

// ErrKeyRefused is returned by WaitForReady when the server refused or revoked the key.
var ErrKeyRefused = errors.New("canary: the server refused the SDK key")

// ErrClosed is returned by WaitForReady when the client was closed before it was ready.
var ErrClosed = errors.New("canary: the client was closed")

// Client evaluates flags locally from rules streamed by the server and reports guard counts.
// Safe for concurrent use; evaluation never blocks on the network and never panics.
type Client struct {
	cfg       Config
	endpoints endpoints
	state     atomic.Pointer[state]
	counters  *counters
	reporter  *reporter
	backoff   *backoff
	warned    sync.Map // unknown flag keys already logged

	mu        sync.Mutex
	status    Status
	refusal   error
	readyCh   chan struct{} // closed once state is held, or the client is fatal or closed
	readyOnce sync.Once
	session   *session

	ctx       context.Context
	cancel    context.CancelFunc
	loopDone  chan struct{}
	flushDone chan struct{}
	cacheCh   chan struct{}
	cacheDone chan struct{}
	closeOnce sync.Once
	early     earlyFlush
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// batchID is time plus 64 random bits: two SDKs never collide (the server ingests an id once).
func batchID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatInt(nowMillis(), 36) + "-" + strconv.FormatUint(binary.LittleEndian.Uint64(b[:]), 36)
}

// New starts a client: it loads the bootstrap and cache (answers come from them at once) and
// connects in the background. It fails only on a bad Config or an unreadable bootstrap file;
// use WaitForReady to wait for state. ctx bounds the start-up work only; Close stops the client.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	eps, err := endpointsOf(cfg.URL)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:       cfg,
		endpoints: eps,
		counters:  newCounters(nowMillis()),
		backoff:   newBackoff(mrand.Float64),
		status:    StatusNotReady,
		readyCh:   make(chan struct{}),
		loopDone:  make(chan struct{}),
		flushDone: make(chan struct{}),
		cacheCh:   make(chan struct{}, 1),
		cacheDone: make(chan struct{}),
		early:     earlyFlush{now: make(chan struct{}, 1), intervalStart: nowMillis()},
	}
	c.reporter = newReporter(cfg.MaxPendingBatches, c.sendBatch, c.postBatch)
	if err := c.loadInitialState(); err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.connectLoop()
	go c.flushLoop()
	go c.cacheLoop()
	return c, nil
}

// WaitForReady returns once the client holds flag state (at once with a bootstrap or cache),
// ErrKeyRefused when the key is refused first, ErrClosed, or ctx's error.
func (c *Client) WaitForReady(ctx context.Context) error {
	select {
	case <-c.readyCh:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c.state.Load() != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal != nil {
		return c.refusal
	}
	return ErrClosed
}

// Status returns where the client stands.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Version returns the environment version answers come from (-1 before any state).
func (c *Client) Version() int64 {
	if s := c.state.Load(); s != nil {
		return s.version
	}
	return -1
}

func (c *Client) setStatus(next Status) {
	c.mu.Lock()
	if c.status == StatusFatal || c.status == StatusClosed || c.status == next {
		c.mu.Unlock()
		return
	}
	c.status = next
	c.mu.Unlock()
	if c.cfg.OnStatus != nil {
		c.cfg.OnStatus(next)
	}
}

func (c *Client) markReady() { c.readyOnce.Do(func() { close(c.readyCh) }) }

// publish installs a new state: answers switch to it atomically.
// Readiness is the caller's to signal, after the status it implies (a WaitForReady that returns
// reads that status).
func (c *Client) publish(s *state) {
	c.state.Store(s)
	select {
	case c.cacheCh <- struct{}{}:
	default:
	}
}

// entry finds a flag; a key the held state does not have is logged once and named in the next
// batch. ok is false when no state is held or the flag is unknown.
func (c *Client) entry(flag string) (e *flagEntry, reason string) {
	s := c.state.Load()
	if s == nil {
		return nil, ReasonNotReady
	}
	e = s.index.get(flag)
	if e == nil {
		c.unknownFlag(flag)
		return nil, ReasonUnknownFlag
	}
	return e, ""
}

func (c *Client) unknownFlag(flag string) {
	defer swallowPanic() // the Logger is the application's: IsEnabled calls this unguarded
	if _, seen := c.warned.LoadOrStore(flag, true); !seen {
		c.cfg.Logger.Warn("canary: unknown flag (a typo, or not created yet)", "flag", flag)
		c.counters.mention(flag)
	}
}

// IsEnabled reports whether the flag is on for the user and counts an exposure for the guard.
// False when the flag is unknown, malformed or no state is held yet. Never blocks, never panics.
//
// It defers no recover itself: a deferred call costs a tenth of a plain flag's answer. What
// runs here reads only what the SDK built (the state, its index, the flag's counts), never the
// user's attributes or the application's code; each step that does (the cohorts' conditions and
// hashing, the Logger) recovers on its own and answers "error" (see evaluatefast.go).
func (c *Client) IsEnabled(flag string, user User) bool {
	if c == nil {
		return false
	}
	s := c.state.Load()
	if s == nil {
		return false
	}
	slot := s.index.find(flag)
	if slot == nil {
		c.unknownFlag(flag)
		return false
	}
	a := slot.flag.evaluate(&user)
	slot.counts.count(a.arm, slotExposures)
	return a.result.Enabled
}

// Evaluate is IsEnabled with the reason and the cohort; it counts an exposure like IsEnabled.
func (c *Client) Evaluate(flag string, user User) (result Result) {
	defer func() {
		if recover() != nil {
			result = answerError.result
		}
	}()
	e, reason := c.entry(flag)
	if e == nil {
		return Result{Reason: reason}
	}
	a := e.flag.evaluate(&user)
	e.counts.count(a.arm, slotExposures)
	return a.result
}

// RecordError counts a failure of the code path this user got (it feeds the guard). The flag is
// evaluated again: the same user and state give the same arm.
func (c *Client) RecordError(flag string, user User) {
	defer func() { _ = recover() }()
	if e, _ := c.entry(flag); e != nil {
		e.counts.count(e.flag.evaluate(&user).arm, slotErrors)
		c.errorRecorded()
	}
}

// RecordDuration counts how long the code path this user got took (the guard's latency rule).
// Negative durations are dropped.
func (c *Client) RecordDuration(flag string, user User, d time.Duration) {
	defer func() { _ = recover() }()
	if d < 0 {
		return
	}
	if e, _ := c.entry(flag); e != nil {
		e.counts.count(e.flag.evaluate(&user).arm, slotDurations+durationBucket(float64(d)/float64(time.Millisecond)))
	}
}

// Run evaluates the flag once, runs on or off, and records the exposure, the branch's duration
// and, when the branch returns an error or panics, an error (a panic is re-raised). An unknown
// flag or a client without state runs off and counts nothing.
func (c *Client) Run(ctx context.Context, flag string, user User, on, off func(context.Context) error) error {
	var e *flagEntry
	arm := ArmNone
	enabled := false
	func() {
		defer func() { _ = recover() }()
		if e, _ = c.entry(flag); e != nil {
			a := e.flag.evaluate(&user)
			arm, enabled = a.arm, a.result.Enabled
			e.counts.count(arm, slotExposures)
		}
	}()
	branch := off
	if enabled {
		branch = on
	}
	started := time.Now()
	failed := true
	defer func() {
		if e == nil {
			return
		}
		e.counts.count(arm, slotDurations+durationBucket(float64(time.Since(started))/float64(time.Millisecond)))
		if failed {
			e.counts.count(arm, slotErrors)
			c.errorRecorded()
		}
	}()
	err := branch(ctx)
	failed = err != nil
	return err
}

// Flush sends the counts so far now (they are also sent every FlushInterval and on Close).
func (c *Client) Flush() {
	c.reporter.add(c.counters.drain(batchID, nowMillis()))
}

// PendingBatches is the number of metrics batches not yet acknowledged by the server.
func (c *Client) PendingBatches() int { return c.reporter.pendingCount() }

func (c *Client) flushLoop() {
	defer close(c.flushDone)
	ticker := time.NewTicker(c.cfg.FlushInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-c.early.now:
		case <-c.ctx.Done():
			return
		}
		c.early.flushed(nowMillis())
		c.Flush()
	}
}

// errorRecorded asks for an early flush when errors arrive much faster than before (SPEC.md
// §9.3), so a regression reaches the guard in about a second instead of a flush interval.
func (c *Client) errorRecorded() {
	if c.early.recorded(nowMillis()) {
		select {
		case c.early.now <- struct{}{}:
		default:
		}
	}
}

// Close sends the remaining counts (waiting up to CloseTimeout for their acknowledgement),
// writes the cache, and disconnects. Answers keep coming from the last state afterwards.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.Flush()
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.CloseTimeout)
		c.reporter.settle(ctx)
		cancel()
		c.cancel()
		<-c.loopDone
		<-c.flushDone
		<-c.cacheDone
		c.mu.Lock()
		c.status = StatusClosed
		c.mu.Unlock()
		c.markReady()
	})
	return nil
}

// fatal: the key was refused or revoked; stop for good and say so once.
func (c *Client) fatal(why string) {
	c.mu.Lock()
	c.status = StatusFatal
	c.refusal = fmt.Errorf("%w: %s", ErrKeyRefused, why)
	c.mu.Unlock()
	c.cfg.Logger.Error("canary: "+why+"; not reconnecting", "url", c.cfg.URL)
	c.markReady()
	if c.cfg.OnStatus != nil {
		c.cfg.OnStatus(StatusFatal)
	}
}

// sleep waits d or until the client closes; false when closed.
func (c *Client) sleep(ms float64) bool {
	if math.IsNaN(ms) || ms < 0 {
		ms = 0
	}
	t := time.NewTimer(time.Duration(ms * float64(time.Millisecond)))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// swallowPanic, deferred, ends a panic quietly (recover works only called by the deferred
// function itself).
func swallowPanic() { _ = recover() }
