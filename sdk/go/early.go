package canary

import "sync"

// An early flush (SPEC.md §9.3, as the TypeScript SDK does it): at least earlyFlushMinErrors
// errors, at least earlyFlushAfterMs since the last flush, arriving at more than twice the
// previous interval's pace. Steady error rates keep the normal interval.
const (
	earlyFlushAfterMs   = 1000
	earlyFlushMinErrors = 5
)

type earlyFlush struct {
	mu            sync.Mutex
	now           chan struct{}
	intervalStart int64
	errors        int64
	previousPace  float64 // errors per ms in the previous interval
}

// recorded counts one error at now; true when a flush should happen now.
func (e *earlyFlush) recorded(now int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errors++
	elapsed := now - e.intervalStart
	return elapsed >= earlyFlushAfterMs && e.errors >= earlyFlushMinErrors && float64(e.errors)/float64(elapsed) > 2*e.previousPace
}

// flushed starts a new interval at now.
func (e *earlyFlush) flushed(now int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.previousPace = float64(e.errors) / float64(max(1, now-e.intervalStart))
	e.intervalStart = now
	e.errors = 0
}
