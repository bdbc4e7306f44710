package canary

import (
	"context"
	"sort"
	"testing"
	"time"
)

// BenchmarkE2EChangeApplied: an admin API change → the Go SDK applied it, over loopback against
// the real server (needs `npm run build`). Reports the median and p99 of b.N changes, measured
// from just before the PATCH is sent to the SDK's OnChange for that flag.
func BenchmarkE2EChangeApplied(b *testing.B) {
	f := newFixture(b)
	applied := make(chan struct{}, 1)
	cfg := quietConfig(f.server.url, f.key)
	cfg.OnChange = func(keys []string) {
		for _, k := range keys {
			if k == "latency" {
				select {
				case applied <- struct{}{}:
				default:
				}
			}
		}
	}
	f.setFlag(b, "latency", everyone)
	c, err := New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitForReady(ctx); err != nil {
		b.Fatal(err)
	}
	for c.Status() != StatusReady {
		time.Sleep(10 * time.Millisecond)
	}
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		started := time.Now()
		f.setFlag(b, "latency", map[string]any{"enabled": i%2 == 1})
		select {
		case <-applied:
		case <-time.After(20 * time.Second):
			b.Fatal("the change never arrived")
		}
		samples = append(samples, time.Since(started))
	}
	b.StopTimer()
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(samples[len(samples)*99/100].Microseconds())/1000, "p99-ms")
}
