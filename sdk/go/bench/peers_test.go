// Package bench measures the Go SDK's IsEnabled beside the Go server SDKs of LaunchDarkly and
// GrowthBook evaluating the same flags offline, and the murmur3 floor, in one `go test -bench`
// run (README "Performance"). Unleash's Go SDK is not served by the Go module proxy here (403).
// Its own module, so the SDK itself never depends on its peers.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	canary "github.com/canary-flags/canary-flags/sdk/go"
	gb "github.com/growthbook/growthbook-golang"
	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"
	"github.com/launchdarkly/go-sdk-common/v3/ldlog"
	"github.com/launchdarkly/go-server-sdk-evaluation/v3/ldmodel"
	ld "github.com/launchdarkly/go-server-sdk/v7"
	"github.com/launchdarkly/go-server-sdk/v7/ldcomponents"
	"github.com/launchdarkly/go-server-sdk/v7/testhelpers/ldtestdata"
	"github.com/twmb/murmur3"
)

// The bench's flags (bench/fixture/flags.ts): plain is on for everyone; rich is on for a 20-user
// beta list and for 10% of users in eu-west. Users: every 100th of u-00000 … u-99999 (all 20
// beta users among them, a third in eu-west), few enough to stay in cache as a user built for
// the request being served is.
const (
	richKey  = "new-checkout"
	plainKey = "plain-on"
	users    = 1000
)

var regions = [...]string{"eu-west", "us-east", "ap-south"}

func userID(i int) string { return fmt.Sprintf("u-%05d", i) }

func betaIDs() []string {
	ids := make([]string, 20)
	for k := range ids {
		ids[k] = userID(2500 + k*5000)
	}
	return ids
}

type benchUser struct{ id, region string }

func benchUsers() []benchUser {
	out := make([]benchUser, users)
	for k := range out {
		i := k * 100
		out[k] = benchUser{userID(i), regions[i%3]}
	}
	return out
}

func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

// run times isEnabled over the users and fails when the flag was never on (a misconfigured peer).
// Besides wall time (ns/op) it reports the process's CPU time per call (cpu-ns/op, where the OS
// has a CPU clock): the machine's other load inflates the first, much less the second.
func run(b *testing.B, isEnabled func(i int) bool) {
	b.ReportAllocs()
	b.ResetTimer()
	cpuBefore, cpuOK := processCPU()
	on := 0
	for i := 0; i < b.N; i++ {
		if isEnabled(i % users) {
			on++
		}
	}
	b.StopTimer()
	if cpuAfter, ok := processCPU(); ok && cpuOK {
		b.ReportMetric(float64(cpuAfter-cpuBefore)/float64(b.N), "cpu-ns/op")
	}
	if b.N >= users && on == 0 {
		b.Fatal("the flag was never on")
	}
}

func canaryClient(b *testing.B) *canary.Client {
	beta := make([]any, 0, 20)
	for _, id := range betaIDs() {
		beta = append(beta, id)
	}
	plain := map[string]any{"key": plainKey, "enabled": true, "salt": plainKey, "stickiness": "userId", "version": 1,
		"cohorts": []any{map[string]any{"name": "everyone", "conditions": []any{}, "rollout": 100}}}
	rich := map[string]any{"key": richKey, "enabled": true, "salt": richKey, "stickiness": "userId", "version": 1,
		"cohorts": []any{
			map[string]any{"name": "beta", "conditions": []any{map[string]any{"attribute": "userId", "operator": "in", "values": beta}}, "rollout": 100},
			map[string]any{"name": "eu-canary", "conditions": []any{map[string]any{"attribute": "region", "operator": "in", "values": []any{"eu-west"}}}, "rollout": 10},
		}}
	// Bootstrapped and pointed at a port nobody listens on: IsEnabled never touches the network.
	c, err := canary.New(context.Background(), canary.Config{
		URL: "http://127.0.0.1:9", ServerKey: "cf_server_bench",
		Bootstrap:     &canary.Snapshot{Environment: "bench", Version: 1, Flags: []json.RawMessage{mustJSON(plain), mustJSON(rich)}, Segments: []json.RawMessage{}},
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		FlushInterval: time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

func benchCanary(b *testing.B, key string) {
	c := canaryClient(b)
	us := benchUsers()
	prebuilt := make([]canary.User, len(us))
	for i, u := range us {
		prebuilt[i] = canary.NewUser(u.id).With("region", u.region)
	}
	run(b, func(i int) bool { return c.IsEnabled(key, prebuilt[i]) })
}

// LaunchDarkly's server SDK fed by its TestData source, analytics events off (its fastest).
// The flag goes in as the full data model (TestData's builder has no percentage rollouts); the
// beta list is individual targeting.
func ldClient(b *testing.B) *ld.LDClient {
	td := ldtestdata.DataSource()
	const on, off = 0, 1
	base := func(key string) map[string]any {
		return map[string]any{"key": key, "version": 1, "on": true, "variations": []bool{true, false}, "offVariation": off, "salt": key}
	}
	plain := base(plainKey)
	plain["fallthrough"] = map[string]any{"variation": on}
	rich := base(richKey)
	rich["targets"] = []any{map[string]any{"values": betaIDs(), "variation": on}}
	rich["rules"] = []any{map[string]any{"id": "eu-canary",
		"clauses": []any{map[string]any{"attribute": "region", "op": "in", "values": []string{"eu-west"}}},
		"rollout": map[string]any{"variations": []any{map[string]any{"variation": on, "weight": 10_000}, map[string]any{"variation": off, "weight": 90_000}}}}}
	rich["fallthrough"] = map[string]any{"variation": off}
	for _, flag := range []map[string]any{plain, rich} {
		model, err := ldmodel.NewJSONDataModelSerialization().UnmarshalFeatureFlag(mustJSON(flag))
		if err != nil {
			b.Fatal(err)
		}
		td.UsePreconfiguredFlag(model)
	}
	client, err := ld.MakeCustomClient("sdk-bench", ld.Config{
		DataSource: td,
		Events:     ldcomponents.NoEvents(),
		Logging:    ldcomponents.Logging().Loggers(ldlog.NewDisabledLoggers()),
	}, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Close() })
	return client
}

func benchLaunchDarkly(b *testing.B, key string) {
	client := ldClient(b)
	us := benchUsers()
	contexts := make([]ldcontext.Context, len(us))
	for i, u := range us {
		contexts[i] = ldcontext.NewBuilder(u.id).SetString("region", u.region).Build()
	}
	run(b, func(i int) bool {
		on, _ := client.BoolVariation(key, contexts[i], false)
		return on
	})
}

// GrowthBook's Go client from a features payload (no API host): the beta list a forced rule on
// `id $in`, the region rollout a forced rule with 10% coverage hashed on `id`. A client per user
// (WithAttributes), built before timing, as the other SDKs' contexts are.
func benchGrowthBook(b *testing.B, key string) {
	features := map[string]any{
		plainKey: map[string]any{"defaultValue": true},
		richKey: map[string]any{"defaultValue": false, "rules": []any{
			map[string]any{"condition": map[string]any{"id": map[string]any{"$in": betaIDs()}}, "force": true},
			map[string]any{"condition": map[string]any{"region": "eu-west"}, "force": true, "coverage": 0.1, "hashAttribute": "id"},
		}},
	}
	ctx := context.Background()
	client, err := gb.NewClient(ctx, gb.WithJsonFeatures(string(mustJSON(features))), gb.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Close() })
	us := benchUsers()
	perUser := make([]*gb.Client, len(us))
	for i, u := range us {
		if perUser[i], err = client.WithAttributes(gb.Attributes{"id": u.id, "region": u.region}); err != nil {
			b.Fatal(err)
		}
	}
	run(b, func(i int) bool { return perUser[i].EvalFeature(ctx, key).On })
}

// murmur3 x86_32 (github.com/twmb/murmur3, assembly-free but tuned) of the 20-byte key
// salt + ":" + userId, through the same loop: the floor of any bucketing evaluation.
func benchMurmurFloor(b *testing.B) {
	us := benchUsers()
	keys := make([]string, len(us))
	for i, u := range us {
		keys[i] = richKey + ":" + u.id
	}
	run(b, func(i int) bool { return murmur3.StringSum32(keys[i])%100_000 < 10_000 })
}

func BenchmarkIsEnabled(b *testing.B) {
	for _, flag := range []struct{ name, key string }{{"plain", plainKey}, {"rich", richKey}} {
		b.Run("canary-flags/"+flag.name, func(b *testing.B) { benchCanary(b, flag.key) })
		b.Run("launchdarkly/"+flag.name, func(b *testing.B) { benchLaunchDarkly(b, flag.key) })
		b.Run("growthbook/"+flag.name, func(b *testing.B) { benchGrowthBook(b, flag.key) })
	}
	b.Run("murmur3-floor", benchMurmurFloor)
}
