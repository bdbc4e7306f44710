package canary

import (
	"context"
	"sync"
)

// Delivery of guard counts (SPEC.md §9.3): each batch stays pending until the server
// acknowledges it (socket) or accepts it (HTTP), and goes out again on every new connection
// until then. The server ingests a batch id once, so resending never double-counts; the bound
// keeps a long outage from growing memory.

type postOutcome int

const (
	postDelivered postOutcome = iota
	postRetry
	postDrop
)

type pendingBatch struct {
	batch  *MetricsBatch
	sentOn int // the connection it last went out on; once per connection
}

type reporter struct {
	mu         sync.Mutex
	pending    []*pendingBatch
	limit      int
	connection int
	up         bool
	posting    bool
	settled    chan struct{} // closed and replaced whenever pending becomes empty
	// send writes a batch on the live socket (false: no socket or the write failed).
	send func(*MetricsBatch) bool
	// post is the HTTP fallback while the socket is down.
	post func(context.Context, *MetricsBatch) postOutcome
}

func newReporter(limit int, send func(*MetricsBatch) bool, post func(context.Context, *MetricsBatch) postOutcome) *reporter {
	return &reporter{limit: limit, send: send, post: post, settled: make(chan struct{})}
}

// add queues drained batches (dropping the oldest beyond the bound) and delivers.
func (r *reporter) add(batches []*MetricsBatch) {
	r.mu.Lock()
	for _, b := range batches {
		r.pending = append(r.pending, &pendingBatch{batch: b, sentOn: -1})
	}
	if over := len(r.pending) - r.limit; over > 0 {
		r.pending = append([]*pendingBatch(nil), r.pending[over:]...)
	}
	r.mu.Unlock()
	r.deliver()
}

func (r *reporter) deliver() {
	r.mu.Lock()
	up := r.up
	r.mu.Unlock()
	if up {
		r.sendPending()
	} else {
		r.postPending(context.Background())
	}
}

// sendPending writes every batch not yet sent on this connection, in order.
func (r *reporter) sendPending() {
	r.mu.Lock()
	connection := r.connection
	var todo []*pendingBatch
	for _, p := range r.pending {
		if p.sentOn != connection {
			todo = append(todo, p)
		}
	}
	r.mu.Unlock()
	for _, p := range todo {
		if !r.send(p.batch) {
			return
		}
		r.mu.Lock()
		p.sentOn = connection
		r.mu.Unlock()
	}
}

// postPending posts pending batches in order until one must wait; one run at a time.
func (r *reporter) postPending(ctx context.Context) {
	r.mu.Lock()
	if r.posting || r.post == nil || len(r.pending) == 0 {
		r.mu.Unlock()
		return
	}
	r.posting = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.posting = false
		r.mu.Unlock()
	}()
	for {
		r.mu.Lock()
		if r.up || len(r.pending) == 0 {
			r.mu.Unlock()
			return
		}
		first := r.pending[0]
		r.mu.Unlock()
		if r.post(ctx, first.batch) == postRetry {
			return
		}
		r.remove(first.batch.ID)
	}
}

func (r *reporter) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, p := range r.pending {
		if p.batch.ID == id {
			r.pending = append(r.pending[:i:i], r.pending[i+1:]...)
			break
		}
	}
	if len(r.pending) == 0 {
		close(r.settled)
		r.settled = make(chan struct{})
	}
}

// connected: a new connection is up; every pending batch goes out again on it.
func (r *reporter) connected() {
	r.mu.Lock()
	r.up = true
	r.connection++
	r.mu.Unlock()
	r.sendPending()
}

func (r *reporter) disconnected() {
	r.mu.Lock()
	r.up = false
	r.mu.Unlock()
}

// ack: the server ingested (or refused for good) this batch; it is never sent again.
func (r *reporter) ack(id string) { r.remove(id) }

func (r *reporter) pendingCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// settle waits until nothing is pending or ctx ends; with no socket, one HTTP round is tried.
func (r *reporter) settle(ctx context.Context) {
	r.mu.Lock()
	if len(r.pending) == 0 {
		r.mu.Unlock()
		return
	}
	wait, up := r.settled, r.up
	r.mu.Unlock()
	if !up {
		r.postPending(ctx)
		return
	}
	select {
	case <-wait:
	case <-ctx.Done():
	}
}
