package canary

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// Coercions must print and parse exactly as the TypeScript core does (SPEC.md §2.2).
func TestJSNumberFormatting(t *testing.T) {
	cases := map[float64]string{
		0: "0", math.Copysign(0, -1): "0", 42: "42", -42: "-42", 1.5: "1.5", 0.1: "0.1",
		1e21: "1e+21", 1e20: "100000000000000000000", 1.5e21: "1.5e+21", 1e-7: "1e-7",
		1.5e-7: "1.5e-7", 0.000001: "0.000001", 123456789.125: "123456789.125", -1e-7: "-1e-7",
	}
	for in, want := range cases {
		if got := jsNumber(in); got != want {
			t.Errorf("jsNumber(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[any]string{int64(-7): "-7", uint8(9): "9", json.Number("2.50"): "2.5", true: "true"} {
		if got, ok := toText(in); !ok || got != want {
			t.Errorf("toText(%#v) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []any{nil, math.NaN(), math.Inf(1), []string{"x"}, map[string]any{}} {
		if _, ok := toText(bad); ok {
			t.Errorf("toText(%#v) has text", bad)
		}
	}
}

func TestNumbersAndDates(t *testing.T) {
	for in, want := range map[string]float64{"10": 10, "-1.5": -1.5, "+2": 2, ".5": 0.5, "1.": 1, "1e3": 1000} {
		if got, ok := toNumber(in); !ok || got != want {
			t.Errorf("toNumber(%q) = %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", " 1", "0x10", "1e400", "abc", "1,5"} {
		if _, ok := toNumber(bad); ok {
			t.Errorf("toNumber(%q) parsed", bad)
		}
	}
	dates := map[string]float64{
		"2024-03-01":                1709251200000,
		"2024-03-01T10:00:00+01:00": 1709283600000,
		"2024-03-01T10:00Z":         1709287200000,
		"2024-03-01t10:00:00.1239z": 1709287200123,
		"2024-02-29T00:00:00-0130":  1709170200000,
		"0050-01-01":                -60589296000000,
	}
	for in, want := range dates {
		if got, ok := parseISODate(in); !ok || got != want {
			t.Errorf("parseISODate(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"2024-02-30", "2023-02-29", "2024-03-01T24:00", "2024-03-01T10:00:60", "March 7 2024", "2024-3-1", "2024-03-01T10:00+24:00"} {
		if _, ok := parseISODate(bad); ok {
			t.Errorf("parseISODate(%q) parsed", bad)
		}
	}
	at := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if got, ok := toEpochMillis(at); !ok || got != 1709251200000 {
		t.Errorf("time.Time = %v %v", got, ok)
	}
}

func TestSemverOrdering(t *testing.T) {
	ordered := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "v1.0.1", " 2.0.0+build.5 ", "10.0.0"}
	for i := 1; i < len(ordered); i++ {
		a, okA := parseSemver(ordered[i-1])
		b, okB := parseSemver(ordered[i])
		if !okA || !okB || a.compare(b) >= 0 || b.compare(a) <= 0 {
			t.Errorf("%q < %q does not hold", ordered[i-1], ordered[i])
		}
	}
	a, _ := parseSemver("1.2.3+a")
	b, _ := parseSemver("1.2.3+b")
	if a.compare(b) != 0 {
		t.Error("build metadata must be ignored")
	}
	for _, bad := range []string{"1.2", "=1.2.3", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "v", "1.2.3.4", "9007199254740992.0.0"} {
		if _, ok := parseSemver(bad); ok {
			t.Errorf("parseSemver(%q) parsed", bad)
		}
	}
}

func TestBoundedTextCountsUTF16Units(t *testing.T) {
	ascii := string(make([]byte, 256))
	if _, ok := toBoundedText(ascii); !ok {
		t.Error("256 ASCII characters are within the bound")
	}
	// 200 'é' are 400 bytes but 200 UTF-16 units: within the bound, as in JavaScript.
	long := ""
	for i := 0; i < 200; i++ {
		long += "é"
	}
	if _, ok := toBoundedText(long); !ok {
		t.Error("200 two-byte characters are 200 UTF-16 units")
	}
	// 129 astral characters are 258 UTF-16 units: over.
	astral := ""
	for i := 0; i < 129; i++ {
		astral += "😀"
	}
	if _, ok := toBoundedText(astral); ok {
		t.Error("258 UTF-16 units are over the bound")
	}
}

func TestPatternCostMatchesTheCore(t *testing.T) {
	// The TypeScript core's figures (sdk/core/regex-cost.ts: patternSize).
	if size, ok := patternCost(`^[a-z]+@example\.com$`, false); !ok || size != 19 {
		t.Errorf("cost %d %v, want 19", size, ok)
	}
	if size, _ := patternCost(`\pL{1000}`, false); size <= maxPatternSize {
		t.Errorf("\\pL{1000} costs %d, must be refused", size)
	}
	if _, ok := patternCost(`(?=lookahead)`, false); ok {
		t.Error("lookaround is not RE2")
	}
}

// The list filter never rejects a listed value, whatever the list's size.
func TestListConditionFilterKeepsEveryListedValue(t *testing.T) {
	for _, n := range []int{2, 7, 8, 9, 100, 5000} {
		values := make([]any, n)
		for i := range values {
			values[i] = "id-" + jsNumber(float64(i*7919))
		}
		c := attributeCondition(map[string]any{"attribute": "userId", "operator": "in", "values": values})
		for _, v := range values {
			if !c.holds(User{Key: v.(string)}) {
				t.Fatalf("%d values: %v rejected", n, v)
			}
		}
		if c.holds(User{Key: "not-listed"}) || c.holds(User{Key: ""}) {
			t.Fatalf("%d values: an unlisted id held", n)
		}
		not := attributeCondition(map[string]any{"attribute": "userId", "operator": "not_in", "values": values})
		if not.holds(User{Key: values[0].(string)}) || !not.holds(User{Key: "not-listed"}) {
			t.Fatalf("%d values: not_in", n)
		}
	}
}
