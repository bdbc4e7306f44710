package canary

import "fmt"

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
		return newTextCondition(name, texts, (op == "in") != negate, general)
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
