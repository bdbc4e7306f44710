package canary

import (
	"encoding/json"
	"testing"
)

// Fuzzing the condition compiler and the evaluator (`npm run test:go` runs each for a bounded
// time): no input may panic or hang, and negation never includes a user the plain condition
// would also include (missing and incomparable attributes fail closed both ways, SPEC.md §2.3).

func FuzzCondition(f *testing.F) {
	seeds := []struct{ condition, value string }{
		{`{"attribute":"a","operator":"in","values":["x","y"]}`, `"x"`},
		{`{"attribute":"a","operator":"matches","values":["^(a+)+$"],"caseInsensitive":true}`, `"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"`},
		{`{"attribute":"a","operator":"semver_gt","values":["1.2.3-rc.1"]}`, `"v1.2.3"`},
		{`{"attribute":"a","operator":"before","values":["2024-03-01T10:00:00+01:00"]}`, `1709283600000`},
		{`{"attribute":"a","operator":"gte","values":[1e308, "-0.5"]}`, `"1e3"`},
		{`{"attribute":"a","operator":"exists","values":[]}`, `null`},
		{`{"attribute":"a","operator":"contains","values":[42]}`, `true`},
		{`{"attribute":"a","operator":"regex","values":["x"]}`, `"x"`},
		{`{"segment":"s","negate":true}`, `"u1"`},
	}
	for _, s := range seeds {
		f.Add(s.condition, s.value)
	}
	f.Fuzz(func(t *testing.T, conditionJSON, valueJSON string) {
		var condition map[string]any
		if json.Unmarshal([]byte(conditionJSON), &condition) != nil {
			return
		}
		var value any
		if json.Unmarshal([]byte(valueJSON), &value) != nil {
			value = valueJSON
		}
		segments := map[string]*segment{"s": compileSegment(map[string]any{"key": "s", "userIds": []any{"u1"}, "conditions": []any{condition}}, nil)}
		user := UserFromMap("u1", map[string]any{"a": value, "userId": value})
		plain, err := conditionOf(condition, segments)
		if err != nil {
			return
		}
		negated := map[string]any{}
		for k, v := range condition {
			negated[k] = v
		}
		negated["negate"] = condition["negate"] != true
		inverse, _ := conditionOf(negated, segments)
		if plain.holds(user) && inverse.holds(user) {
			t.Fatalf("both %s and its negation hold for %v", conditionJSON, value)
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	f.Add(`{"key":"f","enabled":true,"cohorts":[{"name":"c","conditions":[{"attribute":"region","operator":"in","values":["eu"]}],"rollout":12.345}],"version":1}`, "u1", "eu")
	f.Add(`{"key":"f","enabled":true,"cohorts":[{"name":"b","conditions":[{"attribute":"userId","operator":"in","values":["u1","u-02500","a-much-longer-user-id-0001"]}],"rollout":100},{"name":"c","conditions":[{"attribute":"region","operator":"not_in","values":["eu-west"],"negate":true}],"rollout":10}],"version":1}`, "u-02500", "eu-west")
	f.Add(`{"key":"f","enabled":true,"salt":"","stickiness":"region","cohorts":[{"name":"c","conditions":[],"rollout":0.001}],"version":1}`, "", "")
	f.Add(`{"key":"f","enabled":"yes"}`, "u", "x")
	f.Add(`{"key":"f","enabled":true,"cohorts":[{"name":"c","conditions":[{"segment":"s"}],"rollout":100}]}`, "u1", "eu")
	// Found by CI's fuzzing: a cohort named "" answers {enabled, reason "cohort:"}, as in the TS core.
	f.Add(`{"key":"f","enabled":true,"cohorts":[{"name":"","conditions":[],"rollout":100}]}`, "u1", "eu")
	// Cohorts with a bucketing mode (SPEC.md §3.1), read from the region attribute.
	f.Add(`{"key":"f","enabled":true,"cohorts":[{"name":"c","conditions":[],"rollout":37,"bucketing":{"mode":"unleash","groupId":"g","stickiness":"region"}}]}`, "u1", "日本")
	f.Add(`{"key":"f","enabled":true,"cohorts":[{"name":"c","conditions":[],"rollout":20,"bucketing":{"mode":"launchdarkly","flagKey":"f","salt":"s","seed":61,"attribute":"region","offset":90000}}]}`, "u1", "eu")
	segments := compileSegments([]json.RawMessage{json.RawMessage(`{"key":"s","userIds":["u1"],"conditions":[],"version":1}`)})
	f.Fuzz(func(t *testing.T, flagJSON, key, region string) {
		flag := compileFlag(json.RawMessage(flagJSON), segments)
		user := NewUser(key).With("region", region)
		r := flag.evaluate(&user).result
		if r != flag.evaluate(&user).result {
			t.Fatal("evaluation is not deterministic")
		}
		// An enabled answer names its cohort in its reason (a cohort may be named "": the server
		// refuses that name, but the SDK answers what it is given, as the TS core does); an answer
		// that is off names none.
		if (!r.Enabled && r.Cohort != "") || (r.Enabled && r.Reason != "cohort:"+r.Cohort) {
			t.Fatalf("inconsistent result %+v", r)
		}
		if flag.problem != "" && r.Reason != ReasonError {
			t.Fatalf("a malformed flag answered %+v", r)
		}
		// The fast path, where it answers, answers as the general one (evaluatefast.go).
		if flag.mode == modeFast {
			if general := flag.evaluateGeneral(&user).result; general != r {
				t.Fatalf("fast path %+v, general %+v", r, general)
			}
		}
	})
}
