package canary

import (
	"reflect"
	"testing"
)

func TestWithNeverChangesTheUserItExtends(t *testing.T) {
	base := NewUser("u1").With("region", "eu-west")
	a := base.With("plan", "pro")
	b := base.With("plan", "free")
	c := base.With("region", "us-east") // replaces, in the copy only
	if got := base.Attributes(); !reflect.DeepEqual(got, map[string]any{"region": "eu-west"}) {
		t.Fatalf("base changed: %v", got)
	}
	if got := a.Attributes(); !reflect.DeepEqual(got, map[string]any{"region": "eu-west", "plan": "pro"}) {
		t.Fatalf("a: %v", got)
	}
	if got := b.Attributes(); !reflect.DeepEqual(got, map[string]any{"region": "eu-west", "plan": "free"}) {
		t.Fatalf("b: %v", got)
	}
	if got := c.Attributes(); !reflect.DeepEqual(got, map[string]any{"region": "us-east"}) {
		t.Fatalf("c: %v", got)
	}
	if a.Key != "u1" || b.Key != "u1" {
		t.Fatalf("keys %q %q", a.Key, b.Key)
	}
}

func TestAttributeReadsAsRulesDo(t *testing.T) {
	u := UserFromMap("u1", map[string]any{"userId": "other", "n": 3, "gone": nil, "region": "eu-west"})
	for _, tc := range []struct {
		name string
		want any
		ok   bool
	}{
		{"userId", "u1", true}, // the key wins over a userId attribute
		{"n", 3, true},
		{"region", "eu-west", true},
		{"gone", nil, false}, // nil is missing
		{"absent", nil, false},
		{"regio", nil, false}, // a prefix of a name is another name
	} {
		if got, ok := u.Attribute(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	// Without a key, rules on userId read the attribute.
	if got, _ := UserFromMap("", map[string]any{"userId": "other"}).Attribute("userId"); got != "other" {
		t.Errorf("userId without a key: %v", got)
	}
	if s, ok := u.stringAttribute(&attributeName{text: "n", hash: quickHash("n")}); ok || s != "" {
		t.Errorf("a number read as text: %q", s)
	}
	if s, ok := u.stringAttribute(&attributeName{text: "region", hash: quickHash("region")}); !ok || s != "eu-west" {
		t.Errorf("region: %q %v", s, ok)
	}
}

// A rule on an attribute sees the same value however the user was built.
func TestUsersBuiltEitherWayEvaluateAlike(t *testing.T) {
	flag := compileFlag([]byte(`{"key":"f","enabled":true,"version":1,"cohorts":[
		{"name":"eu","conditions":[{"attribute":"region","operator":"in","values":["eu-west"]},
		{"attribute":"age","operator":"gte","values":[18]}],"rollout":100}]}`), nil)
	built := NewUser("u1").With("region", "eu-west").With("age", 30)
	mapped := UserFromMap("u1", map[string]any{"region": "eu-west", "age": 30})
	for _, u := range []User{built, mapped} {
		if r := flag.evaluate(&u).result; r.Reason != "cohort:eu" {
			t.Fatalf("%v: %+v", u.Attributes(), r)
		}
	}
	minor := built.With("age", 17)
	if r := flag.evaluate(&minor).result; r.Reason != ReasonNoMatch {
		t.Fatalf("age 17: %+v", r)
	}
}
