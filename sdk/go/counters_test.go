package canary

import (
	"context"
	"strconv"
	"testing"
)

func seq() func() string {
	n := 0
	return func() string { n++; return "b" + strconv.Itoa(n) }
}

// SPEC.md §9.2: a batch never has more errors or timed requests than exposures in an arm; the
// excess waits for the next batch with exposures.
func TestDrainCarriesLateErrorsToTheNextBatch(t *testing.T) {
	c := newCounters(0)
	fc := c.of("checkout")
	fc.count(ArmCanary, slotExposures)
	fc.count(ArmCanary, slotErrors)
	fc.count(ArmCanary, slotErrors)
	fc.count(ArmCanary, slotErrors)  // three errors, one exposure
	fc.count(ArmControl, slotErrors) // an error with no exposure at all
	for i := 0; i < 3; i++ {
		fc.count(ArmCanary, slotDurations+durationBucket(3)) // three fast
	}
	fc.count(ArmCanary, slotDurations+durationBucket(900)) // one slow
	batches := c.drain(seq(), 10)
	if len(batches) != 1 {
		t.Fatalf("%d batches", len(batches))
	}
	got := batches[0].Flags["checkout"]
	if got.Control != nil {
		t.Fatalf("an arm with only carried events was sent: %+v", got.Control)
	}
	if got.Canary.Exposures != 1 || got.Canary.Errors != 1 {
		t.Fatalf("canary %+v", got.Canary)
	}
	sum := int64(0)
	for _, d := range got.Canary.Durations {
		sum += d
	}
	// The slow request is kept in this batch; the fast ones wait.
	if sum != 1 || got.Canary.Durations[durationBucket(900)] != 1 {
		t.Fatalf("durations %v", got.Canary.Durations)
	}

	// Nothing new: the carried events wait (no exposures to cover them).
	if b := c.drain(seq(), 20); len(b) != 0 {
		t.Fatalf("a batch of carried events only: %+v", b[0].Flags["checkout"])
	}
	for i := 0; i < 5; i++ {
		fc.count(ArmCanary, slotExposures)
		fc.count(ArmControl, slotExposures)
	}
	next := c.drain(seq(), 30)[0].Flags["checkout"]
	if next.Canary.Errors != 2 || next.Canary.Exposures != 5 || next.Control.Errors != 1 || next.Control.Exposures != 5 {
		t.Fatalf("carried errors not delivered: canary %+v control %+v", next.Canary, next.Control)
	}
	if next.Canary.Durations[durationBucket(3)] != 3 {
		t.Fatalf("carried durations not delivered: %v", next.Canary.Durations)
	}
	if b := c.drain(seq(), 40); len(b) != 0 {
		t.Fatal("counted twice")
	}
}

func TestDrainNamesUnknownFlagsAndSplitsLargeBatches(t *testing.T) {
	c := newCounters(0)
	c.mention("typo")
	for i := 0; i < maxFlagsPerBatch+5; i++ {
		c.of("f"+strconv.Itoa(i)).count(ArmCanary, slotExposures)
	}
	batches := c.drain(seq(), 5)
	if len(batches) != 2 {
		t.Fatalf("%d batches", len(batches))
	}
	total := 0
	var typo *flagReport
	for _, b := range batches {
		total += len(b.Flags)
		if r, ok := b.Flags["typo"]; ok {
			typo = r
		}
		if b.ID == "" || b.Start != 0 || b.End != 5 {
			t.Fatalf("batch %s %d–%d", b.ID, b.Start, b.End)
		}
	}
	if total != maxFlagsPerBatch+6 || typo == nil || typo.Canary != nil || typo.Control != nil {
		t.Fatalf("total %d typo %+v", total, typo)
	}
}

// SPEC.md §9.3: pending until acknowledged, resent once per connection, bounded, HTTP while down.
func TestReporterResendsUntilAcknowledged(t *testing.T) {
	var sent []string
	up := true
	var posted []string
	r := newReporter(3,
		func(b *MetricsBatch) bool {
			if !up {
				return false
			}
			sent = append(sent, b.ID)
			return true
		},
		func(_ context.Context, b *MetricsBatch) postOutcome {
			posted = append(posted, b.ID)
			if b.ID == "b5" {
				return postRetry
			}
			return postDelivered
		})
	r.connected()
	r.add([]*MetricsBatch{{ID: "b1"}, {ID: "b2"}})
	r.add(nil)
	if len(sent) != 2 {
		t.Fatalf("sent %v (each batch once per connection)", sent)
	}
	r.ack("b1")
	r.disconnected()
	up = false
	r.connected() // a new connection: b2 again
	up = true
	r.connected()
	if sent[len(sent)-1] != "b2" || r.pendingCount() != 1 {
		t.Fatalf("sent %v pending %d", sent, r.pendingCount())
	}
	r.disconnected()
	r.add([]*MetricsBatch{{ID: "b3"}, {ID: "b4"}, {ID: "b5"}, {ID: "b6"}})
	// Bounded at 3 (the oldest dropped), then posted in order until one must wait.
	if len(posted) == 0 || posted[0] != "b4" {
		t.Fatalf("posted %v", posted)
	}
	if posted[len(posted)-1] != "b5" || r.pendingCount() != 2 {
		t.Fatalf("posted %v, pending %d (b5 and b6 wait)", posted, r.pendingCount())
	}
}

// SPEC.md §7: full jitter under a doubling cap, reset after a healthy uptime, and the restart
// schedule after 1012.
func TestBackoff(t *testing.T) {
	b := newBackoff(func() float64 { return 0.999999 })
	want := []float64{499, 999, 1999, 3999, 7999, 15999, 29999, 29999}
	for i, w := range want {
		if got := b.fail(float64(i)); got != w {
			t.Fatalf("failure %d: %v, want %v", i, got, w)
		}
	}
	b.success(100)
	if got := b.fail(100 + 9_999); got != 29999 {
		t.Fatalf("a short uptime must not reset: %v", got)
	}
	b.success(200_000)
	if got := b.fail(210_000); got != 499 {
		t.Fatalf("a 10 s uptime resets: %v", got)
	}

	r := newBackoff(func() float64 { return 0.5 })
	if first := r.restart(1000, restartSpreadOf("server restarting: reconnect within 5000 ms")); first != 2500 {
		t.Fatalf("phase %v", first)
	}
	if next := r.fail(3500); next != 5000 {
		t.Fatalf("next slot %v", next)
	}
	if next := r.fail(30_000); next != 3500 {
		t.Fatalf("still within patience: %v", next)
	}
	// Patience over: ordinary backoff, from a ceiling of at least the SDK's own spread (1 s).
	if after := r.fail(1000 + 40_000); after != 500 {
		t.Fatalf("after patience: %v", after)
	}
	if restartSpreadOf("going away") != 0 || restartSpreadOf("reconnect within 999999999 ms") != maxRestartSpreadMs {
		t.Fatal("restart reason parsing")
	}
}

func TestEndpointsFromTheBaseURL(t *testing.T) {
	cases := map[string][2]string{
		"https://flags.example.com":             {"wss://flags.example.com/api/v1/stream", "https://flags.example.com/api/v1/metrics"},
		"http://localhost:4242/flags/":          {"ws://localhost:4242/flags/api/v1/stream", "http://localhost:4242/flags/api/v1/metrics"},
		"wss://flags.example.com/api/v1/stream": {"wss://flags.example.com/api/v1/stream", "https://flags.example.com/api/v1/metrics"},
	}
	for in, want := range cases {
		got, err := endpointsOf(in)
		if err != nil || got.stream != want[0] || got.metrics != want[1] {
			t.Errorf("%s: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"ftp://x", "localhost:4242", "http://"} {
		if _, err := endpointsOf(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := New(context.Background(), Config{URL: "http://x"}); err == nil {
		t.Error("a missing key must be refused")
	}
}

// SPEC.md §9.3: an error burst flushes early; a steady error rate keeps the interval.
func TestEarlyFlushOnAnErrorBurst(t *testing.T) {
	e := earlyFlush{intervalStart: 0}
	for i := 0; i < 4; i++ {
		if e.recorded(2000) {
			t.Fatal("fewer than 5 errors flushed early")
		}
	}
	if !e.recorded(2000) {
		t.Fatal("5 errors after 2 s with no previous pace must flush early")
	}
	e.flushed(2000)
	// The same pace again (5 errors in 2 s): not more than twice the previous one.
	for i := 0; i < 5; i++ {
		if e.recorded(4000) {
			t.Fatal("a steady pace flushed early")
		}
	}
	e.flushed(4000)
	if e.recorded(4500) {
		t.Fatal("within a second of the last flush")
	}
	for i := 0; i < 20; i++ {
		e.recorded(5100)
	}
	if !e.recorded(5100) {
		t.Fatal("a burst at 8× the pace must flush early")
	}
}
