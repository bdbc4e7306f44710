package canary

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
)

// The bench's flags (bench/fixture/flags.ts): plain is on for everyone; rich is on for a
// 20-user beta list and for 10% of users in region eu-west. Users as in bench/fixture/users.ts.

const (
	richKey  = "new-checkout"
	plainKey = "plain-on"
)

func benchUserID(i int) string { return fmt.Sprintf("u-%05d", i) }

var benchRegions = [...]string{"eu-west", "us-east", "ap-south"}

func benchBetaIDs() []any {
	ids := make([]any, 20)
	for k := range ids {
		ids[k] = benchUserID(2500 + k*5000)
	}
	return ids
}

// BenchSnapshot is the bench's two flags as a snapshot.
func benchSnapshot() *Snapshot {
	plain := map[string]any{"key": plainKey, "enabled": true, "salt": plainKey, "stickiness": "userId", "version": 1,
		"cohorts": []any{map[string]any{"name": "everyone", "conditions": []any{}, "rollout": 100}}}
	rich := map[string]any{"key": richKey, "enabled": true, "salt": richKey, "stickiness": "userId", "version": 1,
		"cohorts": []any{
			map[string]any{"name": "beta", "conditions": []any{map[string]any{"attribute": "userId", "operator": "in", "values": benchBetaIDs()}}, "rollout": 100},
			map[string]any{"name": "eu-canary", "conditions": []any{map[string]any{"attribute": "region", "operator": "in", "values": []any{"eu-west"}}}, "rollout": 10},
		}}
	p, _ := json.Marshal(plain)
	r, _ := json.Marshal(rich)
	return &Snapshot{Environment: "bench", Version: 1, Flags: []json.RawMessage{p, r}, Segments: []json.RawMessage{}}
}

// benchUsers is every 100th of the bench's 100,000 users (all 20 beta users among them, a third
// in eu-west): few enough that their attributes stay in cache, as a user built for the
// request being served is. Cycling through 100,000 prebuilt maps measures cache misses instead.
func benchUsers(n int) []User {
	users := make([]User, n)
	for k := range users {
		i := k * 100 % 100_000
		users[k] = NewUser(benchUserID(i)).With("region", benchRegions[i%3])
	}
	return users
}

func benchIsEnabled(b *testing.B, flag string) {
	c := newOfflineClient(b, benchSnapshot())
	users := benchUsers(1000)
	b.ReportAllocs()
	b.ResetTimer()
	on := 0
	for i := 0; i < b.N; i++ {
		if c.IsEnabled(flag, users[i%len(users)]) {
			on++
		}
	}
	if on == 0 {
		b.Fatal("the flag was never on")
	}
}

// IsEnabled through the client, guard counting on, as an application calls it.
func BenchmarkIsEnabledPlain(b *testing.B) { benchIsEnabled(b, plainKey) }
func BenchmarkIsEnabledRich(b *testing.B)  { benchIsEnabled(b, richKey) }

// The floor: one murmur3 of the 20-byte key salt + ":" + userId, no rules, no counting.
func BenchmarkMurmur3Floor(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = richKey + ":" + benchUserID(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sink uint32
	for i := 0; i < b.N; i++ {
		sink += murmur3(keys[i%len(keys)], 0)
	}
	if sink == 1 {
		b.Log(sink)
	}
}

// TestIsEnabledAllocatesNothing: zero allocations per IsEnabled on a compiled flag.
func TestIsEnabledAllocatesNothing(t *testing.T) {
	c := newOfflineClient(t, benchSnapshot())
	users := benchUsers(300)
	for _, flag := range []string{plainKey, richKey} {
		i := 0
		if n := testing.AllocsPerRun(1000, func() { c.IsEnabled(flag, users[i%len(users)]); i++ }); n != 0 {
			t.Errorf("%s: %v allocations per IsEnabled", flag, n)
		}
	}
}

// BenchmarkMemoryPerFlag reports the heap a client holds per flag at 10,000 rich flags (the
// state as compiled plus each flag's raw JSON, kept for the cache file).
func BenchmarkMemoryPerFlag(b *testing.B) {
	const flags = 10_000
	rich := benchSnapshot().Flags[1]
	raws := make([]json.RawMessage, flags)
	for i := range raws {
		var m map[string]any
		_ = json.Unmarshal(rich, &m)
		m["key"], m["salt"] = fmt.Sprintf("rich-%04d", i), fmt.Sprintf("rich-%04d", i)
		raws[i], _ = json.Marshal(m)
	}
	snap := &Snapshot{Environment: "bench", Version: 1, Flags: raws, Segments: []json.RawMessage{}}
	for i := 0; i < b.N; i++ {
		c := newCounters(0)
		before := heapInUse()
		s := stateFromSnapshot(snap, c.of)
		after := heapInUse()
		b.ReportMetric(float64(after-before)/flags, "bytes/flag")
		runtime.KeepAlive(s)
		runtime.KeepAlive(c)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
