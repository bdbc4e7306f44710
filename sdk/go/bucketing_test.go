package canary

import (
	"encoding/json"
	"fmt"
	"testing"
)

// sdk/fixtures/bucketing-compat.json: the official Unleash and LaunchDarkly SDKs' answers (SPEC.md §3.1).
type compatFixture struct {
	Unleash []struct {
		GroupID    string  `json:"groupId"`
		Stickiness string  `json:"stickiness"`
		Value      any     `json:"value"`
		Rollout    float64 `json:"rollout"`
		Enabled    bool    `json:"enabled"`
		Hash       *uint32 `json:"hash"`
	} `json:"unleash"`
	LaunchDarkly []struct {
		FlagKey   string   `json:"flagKey"`
		Salt      string   `json:"salt"`
		Seed      *float64 `json:"seed"`
		Attribute string   `json:"attribute"`
		Value     any      `json:"value"`
		Offset    int      `json:"offset"`
		Rollout   float64  `json:"rollout"`
		Bucket    int      `json:"bucket"`
		Enabled   bool     `json:"enabled"`
	} `json:"launchdarkly"`
}

func readCompat(t *testing.T) compatFixture {
	var f compatFixture
	readFixture(t, "bucketing-compat.json", &f)
	if len(f.Unleash) < 400 || len(f.LaunchDarkly) < 400 {
		t.Fatalf("only %d + %d vectors", len(f.Unleash), len(f.LaunchDarkly))
	}
	return f
}

// modeFlag is a flag of one cohort with the given bucketing, as the server sends it.
func modeFlag(rollout float64, bucketing map[string]any) json.RawMessage {
	data, _ := json.Marshal(map[string]any{"key": "f", "enabled": true, "version": 1, "cohorts": []any{
		map[string]any{"name": "c", "conditions": []any{}, "rollout": rollout, "bucketing": bucketing},
	}})
	return data
}

// userWith is a user with one attribute (userId is the key); nil leaves it missing.
func userWith(attribute string, value any) User {
	if value == nil {
		return User{}
	}
	return userFrom(map[string]any{attribute: value})
}

func TestUnleashVectors(t *testing.T) {
	for i, v := range readCompat(t).Unleash {
		if v.Hash != nil {
			text, _ := toText(v.Value)
			if got := unleashNormalized(newHashPrefix(unleashBytes(v.GroupID), 0), text); got != *v.Hash {
				t.Errorf("row %d: hash %d, want %d", i, got, *v.Hash)
			}
		}
		attribute := v.Stickiness
		if attribute == "default" {
			attribute = "userId"
		}
		flag := modeFlag(v.Rollout, map[string]any{"mode": "unleash", "groupId": v.GroupID, "stickiness": v.Stickiness})
		want := Result{Enabled: v.Enabled, Reason: ReasonOutsideRollout}
		switch {
		case v.Enabled:
			want = Result{Enabled: true, Reason: "cohort:c", Cohort: "c", Split: v.Rollout < 100}
		case v.Hash == nil:
			want.Reason = ReasonMissingStickiness
		}
		if got := EvaluateState(flag, nil, userWith(attribute, v.Value)); got != want {
			t.Errorf("row %d %+v: got %+v, want %+v", i, v, got, want)
		}
	}
}

func TestLaunchDarklyVectors(t *testing.T) {
	for i, v := range readCompat(t).LaunchDarkly {
		bucketing := map[string]any{"mode": "launchdarkly", "flagKey": v.FlagKey, "salt": v.Salt, "attribute": v.Attribute, "offset": v.Offset}
		if v.Seed != nil { // null in the file: no seed (absent in a flag)
			bucketing["seed"] = *v.Seed
		}
		var decoded any // as the flag's JSON reaches the compiler
		data, _ := json.Marshal(bucketing)
		_ = json.Unmarshal(data, &decoded)
		compiled, err := compileBucketing(decoded)
		if err != nil {
			t.Fatal(err)
		}
		value, bucketable := launchDarklyValue(v.Value)
		if bucketable {
			if bucket := launchDarklyBucket(compiled.hashHead, value); bucket != v.Bucket {
				t.Errorf("row %d: bucket %d, want %d", i, bucket, v.Bucket)
			}
		} else if v.Bucket != 0 {
			t.Errorf("row %d: LaunchDarkly bucketed %v at %d", i, v.Value, v.Bucket)
		}
		want := Result{Reason: ReasonOutsideRollout}
		if !bucketable {
			want.Reason = ReasonMissingStickiness
		}
		if v.Enabled {
			want = Result{Enabled: true, Reason: "cohort:c", Cohort: "c", Split: v.Rollout < 100}
		}
		if got := EvaluateState(modeFlag(v.Rollout, bucketing), nil, userWith(v.Attribute, v.Value)); got != want {
			t.Errorf("row %d %+v: got %+v, want %+v", i, v, got, want)
		}
	}
}

// A cohort whose bucketing this SDK cannot read fails closed: the flag answers "error" for
// everyone (never the flag's own hash), even users another cohort would include.
func TestMalformedBucketingFailsClosed(t *testing.T) {
	ld := func(change func(map[string]any)) map[string]any {
		b := map[string]any{"mode": "launchdarkly", "flagKey": "f", "salt": "s", "attribute": "userId", "offset": 0}
		change(b)
		return b
	}
	cases := map[string]any{
		"unknown mode":       map[string]any{"mode": "optimizely"},
		"no mode":            map[string]any{"groupId": "g", "stickiness": "userId"},
		"not an object":      "unleash",
		"null":               nil,
		"unleash no groupId": map[string]any{"mode": "unleash", "stickiness": "userId"},
		"unleash stickiness": map[string]any{"mode": "unleash", "groupId": "g", "stickiness": ""},
		"ld offset too big":  ld(func(b map[string]any) { b["offset"] = 100000 }),
		"ld offset fraction": ld(func(b map[string]any) { b["offset"] = 1.5 }),
		"ld offset negative": ld(func(b map[string]any) { b["offset"] = -1 }),
		"ld offset missing":  ld(func(b map[string]any) { delete(b, "offset") }),
		"ld seed fraction":   ld(func(b map[string]any) { b["seed"] = 0.5 }),
		"ld seed null":       ld(func(b map[string]any) { b["seed"] = nil }),
		"ld seed unsafe":     ld(func(b map[string]any) { b["seed"] = 1 << 53 }),
		"ld flagKey empty":   ld(func(b map[string]any) { b["flagKey"] = "" }),
		"ld seed text":       ld(func(b map[string]any) { b["seed"] = "61" }),
		"ld salt missing":    ld(func(b map[string]any) { delete(b, "salt") }),
		"ld flagKey number":  ld(func(b map[string]any) { b["flagKey"] = 1 }),
		"ld attribute empty": ld(func(b map[string]any) { b["attribute"] = "" }),
	}
	for name, bucketing := range cases {
		t.Run(name, func(t *testing.T) {
			data, _ := json.Marshal(map[string]any{"key": "f", "enabled": true, "cohorts": []any{
				map[string]any{"name": "all", "conditions": []any{}, "rollout": 100},
				map[string]any{"name": "c", "conditions": []any{}, "rollout": 50, "bucketing": bucketing},
			}})
			if got := EvaluateState(data, nil, User{Key: "u1"}); got != (Result{Reason: ReasonError}) {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

// Outside one partial cohort is the guard's control even when another cohort found no value; an
// Unleash cohort at 100 % still needs a value, a LaunchDarkly one does not (bucket 0 is in every
// full slice), and a LaunchDarkly user without a value left out is not the control.
func TestBucketingModeReasons(t *testing.T) {
	flag := func(cohorts ...any) json.RawMessage {
		data, _ := json.Marshal(map[string]any{"key": "f", "enabled": true, "cohorts": cohorts})
		return data
	}
	unleash := func(rollout float64, stickiness string) any {
		return map[string]any{"name": "u", "conditions": []any{}, "rollout": rollout,
			"bucketing": map[string]any{"mode": "unleash", "groupId": "g", "stickiness": stickiness}}
	}
	ld := func(rollout float64) any {
		return map[string]any{"name": "l", "conditions": []any{}, "rollout": rollout,
			"bucketing": map[string]any{"mode": "launchdarkly", "flagKey": "f", "salt": "s", "attribute": "tenant", "offset": 0}}
	}
	noTenant := User{Key: "u1"}
	checks := []struct {
		name string
		flag json.RawMessage
		want string
	}{
		{"unleash at 100% without a value", flag(unleash(100, "tenant")), ReasonMissingStickiness},
		{"unleash default falls back to sessionId", flag(unleash(100, "default")), "cohort:u"},
		{"launchdarkly at 100% without a value", flag(ld(100)), "cohort:l"},
		{"launchdarkly at 0% without a value", flag(ld(0)), ReasonMissingStickiness},
		{"unleash random has no value", flag(unleash(100, "random")), ReasonMissingStickiness},
		{"outside wins over no value", flag(unleash(100, "tenant"), unleash(0, "userId")), ReasonOutsideRollout},
		{"mode cohorts then the flag's own", flag(unleash(100, "tenant"), map[string]any{"name": "own", "conditions": []any{}, "rollout": 100}), "cohort:own"},
	}
	for _, c := range checks {
		u := noTenant
		if c.name == "unleash default falls back to sessionId" {
			u = User{}.With("sessionId", "s1")
		}
		if got := EvaluateState(c.flag, nil, u).Reason; got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// The mode cohorts evaluate without panicking for every kind of attribute value.
func TestBucketingModesAnyValue(t *testing.T) {
	values := []any{"x", "", 42, int64(-7), uint8(3), 1.5, 3.0, json.Number("12"), json.Number("1e400"), true, nil, []any{}, map[string]any{}}
	for _, mode := range []map[string]any{
		{"mode": "unleash", "groupId": "g", "stickiness": "v"},
		{"mode": "launchdarkly", "flagKey": "f", "salt": "s", "attribute": "v", "offset": 99999, "seed": 7},
	} {
		for _, v := range values {
			got := EvaluateState(modeFlag(50, mode), nil, NewUser("k").With("v", v))
			if got.Reason == ReasonError {
				t.Errorf("%v %s: %+v", mode["mode"], fmt.Sprint(v), got)
			}
		}
	}
}

// The cost of a cohort with a bucketing mode (a 10 % rollout of every user, evaluated directly):
// murmur3 for unleash, SHA-1 for launchdarkly. Flags without a mode are BenchmarkIsEnabled*.
func benchMode(b *testing.B, bucketing map[string]any) {
	data, _ := json.Marshal(bucketing)
	var decoded any
	_ = json.Unmarshal(data, &decoded)
	flag := compileFlag(modeFlag(10, decoded.(map[string]any)), nil)
	users := benchUsers(1000)
	b.ReportAllocs()
	b.ResetTimer()
	on := 0
	for i := 0; i < b.N; i++ {
		if flag.evaluate(&users[i%len(users)]).result.Enabled {
			on++
		}
	}
	if b.N >= len(users) && on == 0 {
		b.Fatal("the flag was never on")
	}
}

func BenchmarkEvaluateUnleashMode(b *testing.B) {
	benchMode(b, map[string]any{"mode": "unleash", "groupId": "new-checkout", "stickiness": "userId"})
}

func BenchmarkEvaluateLaunchDarklyMode(b *testing.B) {
	benchMode(b, map[string]any{"mode": "launchdarkly", "flagKey": "new-checkout", "salt": "c0ffee", "attribute": "userId", "offset": 95000})
}
