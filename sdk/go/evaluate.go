package canary

import (
	"encoding/json"
	"fmt"
)

// Flag evaluation (SPEC.md §2): enabled = state.enabled && some cohort (all conditions hold &&
// user inside its rollout). A flag is compiled once per state change; evaluating it parses
// nothing, allocates nothing on the common path and never panics on any user.

const defaultStickiness = "userId"

// answer is a Result with its guard arm, made once when a flag is compiled (or here, for the
// answers every flag shares): evaluating returns a pointer to one, so it copies no strings and
// IsEnabled compares no reason text to find the arm.
type answer struct {
	result Result
	arm    Arm
}

func answerOf(r Result) *answer { return &answer{result: r, arm: ArmOf(r)} }

var (
	answerOff               = answerOf(Result{Reason: ReasonOff})
	answerOutsideRollout    = answerOf(Result{Reason: ReasonOutsideRollout})
	answerNoMatch           = answerOf(Result{Reason: ReasonNoMatch})
	answerMissingStickiness = answerOf(Result{Reason: ReasonMissingStickiness})
	answerError             = answerOf(Result{Reason: ReasonError})
)

type cohort struct {
	name       string
	rollout    float64
	threshold  int
	full       bool // covers every bucket: no hash, no stickiness needed
	conditions []cohortCondition
	included   *answer
	bucketing  *cohortBucketing // nil: the flag's own salt and stickiness (SPEC.md §3)
}

// cohortCondition is one of a cohort's conditions: the `in`/`not_in` text conditions (most of
// what rules hold) by their own type, so that a flag whose conditions are all of it can take
// the fast path (evaluatefast.go), which tests them without a call; any other condition through
// its interface.
type cohortCondition struct {
	text  *textCondition
	other condition // when text is nil
}

func cohortConditionOf(c condition) cohortCondition {
	if t, ok := c.(*textCondition); ok {
		return cohortCondition{text: t}
	}
	return cohortCondition{other: c}
}

// holds reports whether every condition holds for the user. The user goes down the evaluation
// by pointer, to an interface method field by field: copying a User whole (what inlining a
// by-value parameter, or *u, compiles to) reads the words just stored with 16-byte moves the
// CPU cannot forward from those stores, a stall that cost the bench's rich flag a third of its
// time. The pointer never reaches an interface, so the caller's User stays on its stack.
func (cc *cohortCondition) holds(u *User) bool {
	if cc.text != nil {
		return cc.text.holdsFor(u)
	}
	return cc.other.holds(User{Key: u.Key, attrs: u.attrs})
}

type flagMode int8

const (
	modeConstant flagMode = iota // off or malformed: the same answer for everyone
	modeCohorts
	modeFast // modeCohorts whose cohorts evaluateCohorts takes on its fast path (see fastPlan)
)

// compiledFlag is a flag state compiled for repeated evaluation.
type compiledFlag struct {
	key        string
	problem    string // why the state is malformed (every evaluation answers "error")
	version    int64
	mode       flagMode
	answer     *answer // modeConstant's answer for everyone
	cohorts    []cohort
	stickiness string
	keyed      bool       // stickiness is userId: a non-empty User.Key is the value, no attribute read
	prefix     hashPrefix // murmur3 state after salt + ":"
	fast       fastPlan   // modeFast's cohorts
	raw        json.RawMessage
}

// stickinessValue: non-empty strings as-is, finite numbers as their text; else missing.
func stickinessValue(u *User, attribute string) (string, bool) {
	switch v := u.attribute(attribute).(type) {
	case string:
		return v, v != ""
	case bool, nil:
		return "", false
	default:
		if _, isNumber := toFloat(v); isNumber {
			return toText(v)
		}
		return "", false
	}
}

// stickinessOf is stickinessValue for this flag, reading User.Key without an attribute lookup
// when the stickiness is userId (what User.attribute would return for it).
func (f *compiledFlag) stickinessOf(u *User) (string, bool) {
	if f.keyed && u.Key != "" {
		return u.Key, true
	}
	return stickinessValue(u, f.stickiness)
}

// evaluate is small enough to inline, so a flag with one answer for everyone (the plain flag)
// returns it without the call that stores the User for the cohorts' loop. The user comes by
// pointer for the reason cohort.holds gives.
func (f *compiledFlag) evaluate(u *User) *answer {
	if f.mode == modeConstant {
		return f.answer
	}
	return f.evaluateCohorts(u)
}

// evaluateGeneral evaluates the cohorts for any flag and user (evaluateCohorts' fast path
// covers the common ones). It reads the user's attributes with operators on any Go value:
// whatever goes wrong answers "error" rather than panicking (IsEnabled relies on it; it defers
// nothing itself).
func (f *compiledFlag) evaluateGeneral(u *User) (a *answer) {
	defer func() {
		if recover() != nil {
			a = answerError
		}
	}()
	const notComputed, noStickiness = -1, -2
	bucket := notComputed
	outside, noValue := false, false // seen in cohorts with a bucketing mode
cohorts:
	for i := range f.cohorts {
		c := &f.cohorts[i]
		for j := range c.conditions {
			if !c.conditions[j].holds(u) {
				continue cohorts
			}
		}
		if c.full {
			return c.included
		}
		if c.bucketing != nil {
			switch c.bucketing.includes(u, c.rollout, c.threshold) {
			case bucketInside:
				return c.included
			case bucketOutside:
				outside = true
			case bucketNoValue:
				noValue = true
			}
			continue
		}
		if bucket == notComputed {
			if value, ok := f.stickinessOf(u); ok {
				bucket = int(f.prefix.sum(value) % BucketCount)
			} else {
				bucket = noStickiness
			}
		}
		if bucket != noStickiness && bucket < c.threshold {
			return c.included
		}
	}
	// A user outside some partial cohort is the guard's control, even when another cohort (of
	// another bucketing mode) found no stickiness value.
	if outside || bucket >= 0 {
		return answerOutsideRollout
	}
	if noValue || bucket == noStickiness {
		return answerMissingStickiness
	}
	return answerNoMatch
}

func malformed(key string, version int64, problem string, raw json.RawMessage) *compiledFlag {
	return &compiledFlag{key: key, problem: problem, version: version, mode: modeConstant, answer: answerError, raw: raw}
}

func numberField(m map[string]any, name string) int64 {
	if f, ok := m[name].(float64); ok {
		return int64(f)
	}
	return 0
}

// compileFlag compiles one flag state's JSON. Never fails: a malformed state compiles to a
// flag that answers "error" for everyone, even when it is off (SPEC.md §2.1).
func compileFlag(raw json.RawMessage, segments map[string]*segment) *compiledFlag {
	return newCompiler(segments).flag(raw)
}

// compiler compiles flags against one set of segments, sharing identical attribute conditions
// between the flags it compiles (a snapshot of 10,000 flags with the same rules holds each
// compiled list once).
type compiler struct {
	segments map[string]*segment
	shared   map[string]condition
}

func newCompiler(segments map[string]*segment) *compiler {
	return &compiler{segments: segments, shared: map[string]condition{}}
}

// condition compiles one condition, shared with an identical one compiled before.
func (cc *compiler) condition(v any) (condition, error) {
	obj, ok := asObject(v)
	if !ok || hasKey(obj, "segment") {
		return conditionOf(v, cc.segments)
	}
	key, err := json.Marshal(obj) // map keys marshal sorted: one text per condition
	if err != nil {
		return conditionOf(v, cc.segments)
	}
	if c, found := cc.shared[string(key)]; found {
		return c, nil
	}
	c, err := conditionOf(v, cc.segments)
	if err == nil {
		cc.shared[string(key)] = c
	}
	return c, err
}

func (cc *compiler) flag(raw json.RawMessage) *compiledFlag {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return malformed("", 0, "state is not valid JSON", raw)
	}
	state, ok := asObject(v)
	if !ok {
		return malformed("", 0, "state is not an object", raw)
	}
	key, ok := state["key"].(string)
	version := numberField(state, "version")
	if !ok {
		return malformed("", version, "key must be a string", raw)
	}
	enabled, ok := state["enabled"].(bool)
	if !ok {
		return malformed(key, version, "enabled must be a boolean", raw)
	}
	salt, stickiness := key, defaultStickiness
	if s, present := state["salt"]; present {
		text, isString := s.(string)
		if !isString {
			return malformed(key, version, "salt must be a string", raw)
		}
		if text != "" {
			salt = text
		}
	}
	if s, present := state["stickiness"]; present {
		text, isString := s.(string)
		if !isString {
			return malformed(key, version, "stickiness must be a string", raw)
		}
		if text != "" {
			stickiness = text
		}
	}
	cohorts, err := cc.cohorts(state["cohorts"])
	if err != nil {
		return malformed(key, version, err.Error(), raw)
	}
	f := &compiledFlag{key: key, version: version, cohorts: cohorts, stickiness: stickiness, keyed: stickiness == defaultStickiness, raw: raw}
	if !enabled {
		f.mode, f.answer = modeConstant, answerOff
		return f
	}
	// A first cohort of everyone at 100% answers every user the same way: skip the loop.
	if len(cohorts) > 0 && len(cohorts[0].conditions) == 0 && cohorts[0].full {
		f.mode, f.answer = modeConstant, cohorts[0].included
		return f
	}
	f.mode = modeCohorts
	if plan, ok := newFastPlan(f); ok {
		f.mode, f.fast = modeFast, plan
	}
	f.prefix = newHashPrefix(salt, 0)
	return f
}

func (cc *compiler) cohorts(v any) ([]cohort, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("cohorts must be an array")
	}
	cohorts := make([]cohort, 0, len(list))
	for i, item := range list {
		c, ok := asObject(item)
		if !ok {
			return nil, fmt.Errorf("cohort %d is not an object", i)
		}
		name, ok := c["name"].(string)
		if !ok {
			return nil, fmt.Errorf("cohort %d: name must be a string", i)
		}
		conditions, ok := c["conditions"].([]any)
		if !ok {
			return nil, fmt.Errorf("cohort %s: conditions not an array", name)
		}
		rollout, ok := c["rollout"].(float64)
		if !ok || !(rollout >= 0 && rollout <= 100) {
			return nil, fmt.Errorf("cohort %s: rollout must be a number in [0, 100]", name)
		}
		compiled := make([]cohortCondition, 0, len(conditions))
		var err error
		for _, cond := range conditions {
			c, err := cc.condition(cond)
			if err != nil {
				return nil, err
			}
			compiled = append(compiled, cohortConditionOf(c))
		}
		threshold := rolloutThreshold(rollout)
		full := threshold >= BucketCount
		var bucketing *cohortBucketing
		if b, present := c["bucketing"]; present {
			if bucketing, err = compileBucketing(b); err != nil {
				return nil, fmt.Errorf("cohort %s: %w", name, err)
			}
			full = bucketing.full(threshold)
		}
		cohorts = append(cohorts, cohort{
			name: name, rollout: rollout, threshold: threshold, full: full, conditions: compiled, bucketing: bucketing,
			included: answerOf(Result{Enabled: true, Reason: "cohort:" + name, Cohort: name, Split: threshold < BucketCount}),
		})
	}
	return cohorts, nil
}

// EvaluateState evaluates one flag state (its JSON) for a user with the given segments (their
// JSON): a one-off evaluation for tools and tests; the Client compiles once instead.
func EvaluateState(flag json.RawMessage, segments []json.RawMessage, user User) Result {
	return compileFlag(flag, compileSegments(segments)).evaluate(&user).result
}

func compileSegments(raws []json.RawMessage) map[string]*segment {
	out := make(map[string]*segment, len(raws))
	for _, raw := range raws {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		s := compileSegment(v, raw)
		if s.key != "" {
			out[s.key] = s
		}
	}
	return out
}
