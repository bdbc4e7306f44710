package canary

import (
	"math"
	"regexp"
	"strconv"
)

// Reconnect delays (SPEC.md §7): exponential with full jitter and a cap, reset only after a
// connection stayed up for a while; after a restart close (1012) one attempt per spread window
// at this SDK's own phase, so a restarted server sees the fleet arrive evenly. Pure: times are
// passed in (ms) and randomness injected, so tests drive it with fixed numbers.

type backoffOptions struct {
	baseMs, capMs, resetAfterMs, restartSpreadMs, restartPatienceMs float64
	random                                                          func() float64
}

type backoff struct {
	o          backoffOptions
	attempt    int
	upSince    float64
	up         bool
	restarting bool
	anchor     float64
	period     float64
	until      float64
}

func newBackoff(random func() float64) *backoff {
	return &backoff{o: backoffOptions{baseMs: 500, capMs: 30_000, resetAfterMs: 10_000, restartSpreadMs: 1000, restartPatienceMs: 30_000, random: random}}
}

func (b *backoff) unit() float64 { return math.Min(1, math.Max(0, b.o.random())) }

func (b *backoff) settleUptime(now float64) {
	if b.up && now-b.upSince >= b.o.resetAfterMs {
		b.attempt = 0
	}
	b.up = false
}

// success: the connection is up at now.
func (b *backoff) success(now float64) {
	b.up, b.upSince = true, now
	b.restarting = false
}

// fail: the attempt failed or the connection dropped at now; returns ms to wait.
func (b *backoff) fail(now float64) float64 {
	b.settleUptime(now)
	if b.restarting && now < b.until {
		slots := math.Floor((now-b.anchor)/b.period) + 1
		return math.Max(0, b.anchor+math.Max(0, slots)*b.period-now)
	}
	if b.restarting {
		b.restarting = false
		for b.ceiling() < b.o.restartSpreadMs && b.ceiling() < b.o.capMs {
			b.attempt++
		}
	}
	ceiling := b.ceiling()
	if ceiling < b.o.capMs {
		b.attempt++
	}
	return math.Floor(ceiling * b.unit())
}

func (b *backoff) ceiling() float64 {
	return math.Min(b.o.capMs, b.o.baseMs*math.Pow(2, float64(b.attempt)))
}

// restart: the server closed with 1012 at now; spreadMs is the window its reason named (0: none).
// Returns ms to wait before the first attempt.
func (b *backoff) restart(now, spreadMs float64) float64 {
	b.settleUptime(now)
	b.period = math.Max(b.o.restartSpreadMs, spreadMs)
	phase := math.Floor(b.period * b.unit())
	b.restarting = true
	b.anchor = now + phase
	b.until = now + math.Max(b.o.restartPatienceMs, 2*b.period)
	return phase
}

// maxRestartSpreadMs is the widest window a restart close may ask for.
const maxRestartSpreadMs = 60_000

var restartReason = regexp.MustCompile(`reconnect within (\d{1,9}) ms`)

// restartSpreadOf reads the window of a 1012 close reason; 0 when it names none.
func restartSpreadOf(reason string) float64 {
	m := restartReason.FindStringSubmatch(reason)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	return math.Min(maxRestartSpreadMs, n)
}
