package canary

import (
	"sync"
	"sync/atomic"
)

// Guard counts per flag and arm (SPEC.md §9): exposures, errors and a duration histogram,
// counted with atomic adds so IsEnabled stays lock-free and allocation-free. Draining moves them
// into a batch, holding back errors and durations that exceed the arm's exposures (they are
// carried into the next batch: a batch breaking the invariant would be refused whole).

// durationBounds are the histogram's upper bounds (ms, inclusive); one more bucket is overflow.
var durationBounds = [...]float64{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}

const (
	durationBuckets = len(durationBounds) + 1
	armStride       = 2 + durationBuckets // exposures, errors, then the histogram
	slotExposures   = 0
	slotErrors      = 1
	slotDurations   = 2
)

func durationBucket(ms float64) int {
	i := 0
	for i < len(durationBounds) && ms > durationBounds[i] {
		i++
	}
	return i
}

type flagCounts struct {
	arms [2][armStride]atomic.Int64
	// carry holds events not yet covered by exposures; only the drain touches it.
	carry [2][armStride]int64
}

func (c *flagCounts) count(arm Arm, slot int) {
	if arm != ArmNone {
		c.arms[arm][slot].Add(1)
	}
}

// armCounts is one arm on the wire.
type armCounts struct {
	Exposures int64   `json:"exposures"`
	Errors    int64   `json:"errors"`
	Durations []int64 `json:"durations,omitempty"`
}

// flagReport is one flag on the wire: arms with counts only; {} names an unknown key.
type flagReport struct {
	Canary  *armCounts `json:"canary,omitempty"`
	Control *armCounts `json:"control,omitempty"`
}

// drainArm takes one arm's counts plus what was carried, and returns what may be sent: errors
// and durations at most the exposures; the excess (durations: the fastest first) is carried.
func (c *flagCounts) drainArm(arm int) *armCounts {
	var all [armStride]int64
	for i := range all {
		all[i] = c.arms[arm][i].Swap(0) + c.carry[arm][i]
		c.carry[arm][i] = 0
	}
	exposures := all[slotExposures]
	out := &armCounts{Exposures: exposures, Errors: min(all[slotErrors], exposures)}
	c.carry[arm][slotErrors] = all[slotErrors] - out.Errors
	durations := all[slotDurations:]
	var timed int64
	for _, d := range durations {
		timed += d
	}
	excess := max(0, timed-exposures)
	for i := range durations {
		take := min(excess, durations[i])
		c.carry[arm][slotDurations+i] = take
		durations[i] -= take
		excess -= take
	}
	if timed > 0 && exposures > 0 {
		out.Durations = append([]int64(nil), durations...)
	}
	if exposures == 0 {
		return nil // only carried events: nothing to send yet
	}
	return out
}

// counters is every flag's counts, and the unknown keys to name in the next batch.
type counters struct {
	mu        sync.Mutex
	flags     map[string]*flagCounts
	mentioned map[string]struct{}
	start     int64
}

func newCounters(now int64) *counters {
	return &counters{flags: map[string]*flagCounts{}, mentioned: map[string]struct{}{}, start: now}
}

// of returns a flag's counts, created on first use; kept across state changes.
func (c *counters) of(flag string) *flagCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	fc := c.flags[flag]
	if fc == nil {
		fc = &flagCounts{}
		c.flags[flag] = fc
	}
	return fc
}

// mention names an unknown flag in the next batch (no counts, never evidence).
func (c *counters) mention(flag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.mentioned) < 1000 {
		c.mentioned[flag] = struct{}{}
	}
}

// MetricsBatch is one batch of guard counts (SPEC.md §9.2).
type MetricsBatch struct {
	ID    string                 `json:"id"`
	Start int64                  `json:"start"`
	End   int64                  `json:"end"`
	Flags map[string]*flagReport `json:"flags"`
}

// maxFlagsPerBatch keeps a batch well under the server's 256 KiB frame limit (SPEC.md §5).
const maxFlagsPerBatch = 1000

// drain moves every count into batches of at most maxFlagsPerBatch flags; none when there is
// nothing to report.
func (c *counters) drain(newID func() string, now int64) []*MetricsBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	flags := map[string]*flagReport{}
	for key, fc := range c.flags {
		canary, control := fc.drainArm(int(ArmCanary)), fc.drainArm(int(ArmControl))
		if canary != nil || control != nil {
			flags[key] = &flagReport{Canary: canary, Control: control}
		}
	}
	for key := range c.mentioned {
		if flags[key] == nil {
			flags[key] = &flagReport{}
		}
	}
	clear(c.mentioned)
	start := c.start
	c.start = now
	var batches []*MetricsBatch
	for key, report := range flags {
		if len(batches) == 0 || len(batches[len(batches)-1].Flags) == maxFlagsPerBatch {
			batches = append(batches, &MetricsBatch{ID: newID(), Start: start, End: now, Flags: map[string]*flagReport{}})
		}
		batches[len(batches)-1].Flags[key] = report
	}
	return batches
}
