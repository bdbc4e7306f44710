package canary

import (
	"fmt"
	"math/bits"
)

// Compiled conditions (SPEC.md §2.3, §2.4). A condition that cannot be compiled never holds,
// negated or not; a missing or incomparable attribute never holds either.

type condition interface {
	holds(u User) bool
}

// never is a condition that cannot hold: unknown operator, bad values, unknown segment.
type never struct{ problem string }

func (never) holds(User) bool { return false }

// testCondition is any operator through its compiled test; negate swaps yes and no.
type testCondition struct {
	attribute attributeName
	test      attributeTest
	wanted    outcome
}

func (c *testCondition) holds(u User) bool {
	return c.test(u.attributeNamed(&c.attribute)) == c.wanted
}

// oneValueCondition is `in`/`not_in` with one case-sensitive value: a string comparison on the
// common path, the general test for other attribute types.
type oneValueCondition struct {
	attribute  attributeName
	only       string
	holdsOnHit bool
	general    testCondition
}

func (c *oneValueCondition) holds(u User) bool { return c.holdsFor(&u) }

// holdsFor is holds for evaluate's direct call, the user by pointer (see cohort.holds).
func (c *oneValueCondition) holdsFor(u *User) bool {
	if s, ok := u.stringAttribute(&c.attribute); ok {
		return sameText(s, c.only) == c.holdsOnHit
	}
	return c.general.holds(User{Key: u.Key, attrs: u.attrs})
}

// listCondition is `in`/`not_in` with several case-sensitive values. A one-hash Bloom filter
// (about 16 bits per listed value) over quickHash of each value rejects most unlisted values
// before the map lookup, which runs the runtime's hash over the whole string: a beta list is
// checked for every user and almost never holds them. quickHash reads every byte of a value up
// to 16 bytes (ids such as "u-02500" differ in any digit), so about one unlisted value in 16
// passes. Values that share a bit with a listed one fall through to the map; nothing listed is
// ever rejected.
type listCondition struct {
	attribute  attributeName
	set        map[string]struct{}
	bits       []uint64
	shift      uint // quickHash's top bits pick the filter bit
	holdsOnHit bool
	general    testCondition
}

func newListCondition(attribute attributeName, set map[string]struct{}, holdsOnHit bool, general testCondition) *listCondition {
	size := uint(64) // bits: a power of two
	for size < uint(16*len(set)) {
		size *= 2
	}
	c := &listCondition{attribute: attribute, set: set, bits: make([]uint64, size/64),
		shift: uint(64 - bits.TrailingZeros(size)), holdsOnHit: holdsOnHit, general: general}
	for v := range set {
		bit := quickHash(v) >> c.shift
		c.bits[bit/64] |= 1 << (bit % 64)
	}
	return c
}

func (c *listCondition) holds(u User) bool { return c.holdsFor(&u) }

// holdsFor is holds for evaluate's direct call, the user by pointer (see cohort.holds).
func (c *listCondition) holdsFor(u *User) bool {
	if s, ok := u.stringAttribute(&c.attribute); ok {
		bit := quickHash(s) >> c.shift
		if c.bits[bit/64]&(1<<(bit%64)) == 0 {
			return !c.holdsOnHit
		}
		_, hit := c.set[s]
		return hit == c.holdsOnHit
	}
	return c.general.holds(User{Key: u.Key, attrs: u.attrs})
}

func asObject(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// attributeCondition compiles {attribute, operator, values, negate?, caseInsensitive?}.
func attributeCondition(c map[string]any) condition {
	attribute, ok := c["attribute"].(string)
	if !ok {
		return never{"attribute must be a string"}
	}
	op, _ := c["operator"].(string)
	compile, known := operators[op]
	if !known {
		return never{fmt.Sprintf("unknown operator %q", c["operator"])}
	}
	values, ok := c["values"].([]any)
	if !ok {
		return never{"values must be an array"}
	}
	caseInsensitive := c["caseInsensitive"] == true
	negate := c["negate"] == true
	test, err := compile(values, caseInsensitive)
	if err != nil {
		return never{err.Error()}
	}
	wanted := yes
	if negate {
		wanted = no
	}
	name := nameOf(attribute)
	general := testCondition{attribute: name, test: test, wanted: wanted}
	if (op == "in" || op == "not_in") && !caseInsensitive {
		texts, _ := parseTexts(values, false)
		holdsOnHit := (op == "in") != negate
		set := make(map[string]struct{}, len(texts))
		for _, t := range texts {
			set[t] = struct{}{}
		}
		if len(set) == 1 {
			return &oneValueCondition{attribute: name, only: texts[0], holdsOnHit: holdsOnHit, general: general}
		}
		return newListCondition(name, set, holdsOnHit, general)
	}
	return &general
}

// segment is a compiled segment: listed userIds, or (when it has any) all of its conditions.
type segment struct {
	key        string
	version    int64
	ids        map[string]struct{}
	conditions []condition
	problem    string // set when malformed: flags that use it answer "error"
	raw        []byte
}

func (s *segment) contains(u User) bool {
	if len(s.ids) > 0 {
		if id, ok := toText(u.attribute("userId")); ok {
			if _, hit := s.ids[id]; hit {
				return true
			}
		}
	}
	if len(s.conditions) == 0 {
		return false
	}
	for _, c := range s.conditions {
		if !c.holds(u) {
			return false
		}
	}
	return true
}

// compileSegment compiles a segment's JSON object; a malformed one keeps its problem.
func compileSegment(v any, raw []byte) *segment {
	m, ok := asObject(v)
	if !ok {
		return &segment{problem: "segment is not an object", raw: raw}
	}
	key, _ := m["key"].(string)
	s := &segment{key: key, ids: map[string]struct{}{}, raw: raw}
	if f, ok := m["version"].(float64); ok {
		s.version = int64(f)
	}
	ids, ok := m["userIds"].([]any)
	if !ok {
		s.problem = fmt.Sprintf("segment %q: userIds must be an array", key)
		return s
	}
	for _, id := range ids {
		if text, ok := toText(id); ok {
			s.ids[text] = struct{}{}
		}
	}
	conditions, ok := m["conditions"].([]any)
	if !ok {
		s.problem = fmt.Sprintf("segment %q: conditions must be an array", key)
		return s
	}
	for _, c := range conditions {
		obj, isObj := asObject(c)
		switch {
		case !isObj:
			s.conditions = append(s.conditions, never{"condition is not an object"})
		case obj["segment"] != nil || hasKey(obj, "segment"):
			// Segments do not nest.
			s.conditions = append(s.conditions, never{"a segment inside a segment"})
		default:
			s.conditions = append(s.conditions, attributeCondition(obj))
		}
	}
	return s
}

func hasKey(m map[string]any, key string) bool {
	_, ok := m[key]
	return ok
}

type segmentCondition struct {
	segment *segment
	negate  bool
}

func (c *segmentCondition) holds(u User) bool {
	return c.segment.contains(u) != c.negate
}

// conditionOf compiles any condition. A reference to a segment not held never holds, even
// negated; a malformed segment makes the flag malformed (the error is returned).
func conditionOf(v any, segments map[string]*segment) (condition, error) {
	obj, ok := asObject(v)
	if !ok {
		return never{"condition is not an object"}, nil
	}
	if !hasKey(obj, "segment") {
		return attributeCondition(obj), nil
	}
	key, ok := obj["segment"].(string)
	if !ok {
		return never{"segment must be a string"}, nil
	}
	s := segments[key]
	if s == nil {
		return never{fmt.Sprintf("unknown segment %q", key)}, nil
	}
	if s.problem != "" {
		return nil, fmt.Errorf("%s", s.problem)
	}
	return &segmentCondition{segment: s, negate: obj["negate"] == true}, nil
}
