package canary

import (
	"fmt"
	"strings"
	"testing"
)

func indexOf(keys []string) (flagIndex, map[string]*flagEntry) {
	flags := map[string]*flagEntry{}
	for _, k := range keys {
		flags[k] = &flagEntry{key: k}
	}
	return newFlagIndex(flags), flags
}

// TestFlagIndexFindsEveryKeyAndNothingElse: every held key of every length is found as itself;
// keys one byte off, longer, shorter or empty are not.
func TestFlagIndexFindsEveryKeyAndNothingElse(t *testing.T) {
	var keys []string
	for n := 1; n <= 40; n++ {
		keys = append(keys, strings.Repeat("k", n), fmt.Sprintf("%0*d", n, n))
	}
	ix, flags := indexOf(keys)
	for _, k := range keys {
		if e := ix.get(strings.Clone(k)); e != flags[k] {
			t.Fatalf("%q: got %v", k, e)
		}
		for _, miss := range []string{k + "x", k[:len(k)-1] + "x", "x" + k[1:], k[1:]} {
			if e := ix.get(miss); e != nil && e.key != miss {
				t.Fatalf("%q found %q", miss, e.key)
			}
		}
	}
	if ix.get("") != nil || ix.get("absent") != nil {
		t.Fatal("found a key it does not hold")
	}
	if ix.whole {
		t.Fatal("these keys needed no whole-key hash")
	}
}

// TestFlagIndexHashesWholeKeysWhenWordsCollide: 1,000 long keys that differ only outside the
// words the quick hash reads would share one probe run; the index hashes whole keys instead and
// still finds each.
func TestFlagIndexHashesWholeKeysWhenWordsCollide(t *testing.T) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("team-payments-%03d-checkout-experiment-%03d-rollout-final", i, i)
	}
	if quickHash(keys[0]) != quickHash(keys[1]) {
		t.Fatal("the fixture's keys should collide in the quick hash")
	}
	ix, flags := indexOf(keys)
	if !ix.whole {
		t.Fatal("expected the whole-key hash")
	}
	for _, k := range keys {
		if ix.get(k) != flags[k] {
			t.Fatalf("%q not found", k)
		}
	}
}

func TestFlagIndexEmpty(t *testing.T) {
	var zero flagIndex
	ix, _ := indexOf(nil)
	if zero.get("a") != nil || ix.get("a") != nil {
		t.Fatal("an empty index found a key")
	}
}

// TestOneValueConditionIsStringEquality: an `in` of one value holds exactly for that string,
// of every length around the words it compares (4, 8 and 16 bytes), and `not_in` for the rest.
func TestOneValueConditionIsStringEquality(t *testing.T) {
	words := []string{"", "a", "ab", "abc", "abcd", "abce", "eu-west", "eu-wesT", "us-east", "new-checkout",
		"new-checkoUt", "0123456789abcdef", "0123456789abcdeF", "0123456789abcdefg", "0123456789abcdefh"}
	for _, a := range words {
		for _, op := range []string{"in", "not_in"} {
			c := attributeCondition(map[string]any{"attribute": "region", "operator": op, "values": []any{a}})
			for _, b := range words {
				if got := c.holds(NewUser("u").With("region", b)); got != ((a == b) == (op == "in")) {
					t.Fatalf("%q %s [%q]: holds = %v", b, op, a, got)
				}
			}
		}
	}
}

// TestQuickHashReadsEveryByteUpTo16: changing any one byte of a key up to 16 bytes changes its
// hash (the filter in front of `in` lists and the flag index rely on it for structured ids).
func TestQuickHashReadsEveryByteUpTo16(t *testing.T) {
	for n := 1; n <= 16; n++ {
		base := []byte(strings.Repeat("u-0250", 3)[:n])
		h := quickHash(string(base))
		for i := 0; i < n; i++ {
			changed := append([]byte(nil), base...)
			changed[i]++
			if quickHash(string(changed)) == h {
				t.Fatalf("length %d: byte %d does not reach the hash", n, i)
			}
		}
	}
}

// TestListFilterNeverRejectsAListedValue: every listed value of a 1,000-value `in` list holds
// (the filter in front of the map may pass unlisted values, never drop listed ones), unlisted
// ids of the same shape do not, and the filter turns most of them away before the map.
func TestListFilterNeverRejectsAListedValue(t *testing.T) {
	values := make([]any, 1000)
	for i := range values {
		values[i] = fmt.Sprintf("u-%05d", i*7)
	}
	c, ok := attributeCondition(map[string]any{"attribute": "userId", "operator": "in", "values": values}).(*textCondition)
	if !ok {
		t.Fatal("a case-sensitive list of several values compiles to a textCondition")
	}
	passed := 0
	for i := 0; i < 7000; i++ {
		id := fmt.Sprintf("u-%05d", i)
		if got, want := c.holds(User{Key: id}), i%7 == 0; got != want {
			t.Fatalf("%s: holds = %v", id, got)
		}
		bit := quickHash(id) >> c.filterBits
		if i%7 != 0 && c.filter[bit/64]&(1<<(bit%64)) != 0 {
			passed++
		}
	}
	t.Logf("%d of 6,000 unlisted ids passed the filter", passed)
	if passed > 6000/8 { // 16 bits per value: about 1 in 16 expected, 1 in 8 would be a broken hash
		t.Fatalf("the filter let %d of 6,000 unlisted ids through", passed)
	}
}
