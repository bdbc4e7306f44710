package canary

// The common path of a flag's cohorts, without a call or a deferred recover: flags whose
// conditions are all `in`/`not_in` text conditions (a beta list, a region), bucketed by userId
// with the flag's own salt (no bucketing mode), for users whose attributes those conditions read
// are strings and whose Key is set. Everything else (another operator, a segment, a number where
// a rule expects text, a user without a key) leaves this path, and evaluateGeneral answers from
// the start under its recover: only there does code read values of any Go type or call the
// application's code. Here everything read is a string or the SDK's own compiled state, which
// nothing can make panic. Go saves every live register around a call, so in the bench's rich
// flag each call in this loop cost about a tenth of the answer; the recover, another tenth.

// fastPlan is a flag's cohorts laid out for the fast path: every cohort's conditions copied by
// value into one slice, the cohorts' rollouts into another. Each load on the way to a
// condition's fields waits for the one before; this way a condition is two loads from the flag
// (the slice, the condition) rather than four (the cohorts, a cohort's conditions, the
// condition, the shared textCondition). In the bench the users' own data pushes the flag's out
// of the L1 cache between calls, so each load counts: pointers to the shared conditions here
// instead of copies (one load more) made the rich flag about a quarter slower. The price: a flag
// on the fast path holds its text conditions twice (here and in its cohorts, for
// evaluateGeneral), 160 bytes more per condition.
type fastPlan struct {
	cohorts    []fastCohort
	conditions []textCondition
}

// fastCohort is one cohort of a fastPlan: its conditions are conditions[first:end].
type fastCohort struct {
	first, end int
	full       bool
	threshold  int
	included   *answer
}

// newFastPlan returns the flag's plan, or false when its cohorts cannot take the fast path: a
// condition that is not a text condition, a bucketing mode, or a stickiness other than userId.
func newFastPlan(f *compiledFlag) (fastPlan, bool) {
	var p fastPlan
	if !f.keyed {
		return p, false
	}
	for i := range f.cohorts {
		c := &f.cohorts[i]
		if c.bucketing != nil {
			return p, false
		}
		first := len(p.conditions)
		for j := range c.conditions {
			if c.conditions[j].text == nil {
				return p, false
			}
			p.conditions = append(p.conditions, *c.conditions[j].text)
		}
		p.cohorts = append(p.cohorts, fastCohort{first: first, end: len(p.conditions), full: c.full, threshold: c.threshold, included: c.included})
	}
	return p, true
}

// evaluateCohorts evaluates the cohorts of a flag in modeCohorts or modeFast: on the fast path
// (see above) when the flag and the user allow it, else with evaluateGeneral.
func (f *compiledFlag) evaluateCohorts(u *User) *answer {
	if f.mode != modeFast {
		return f.evaluateGeneral(u)
	}
	const notComputed = -1
	bucket := notComputed
	conditions := f.fast.conditions
cohorts:
	for i := range f.fast.cohorts {
		c := &f.fast.cohorts[i]
		for j := c.first; j < c.end; j++ {
			t := &conditions[j]
			// u.stringAttribute, then t.holdsForText, written out.
			var s string
			if t.attribute.keyed && u.Key != "" {
				s = u.Key
			} else {
				found := false
				for k := range u.attrs {
					if a := &u.attrs[k]; t.attribute.names(a) {
						if !a.isText {
							return f.evaluateGeneral(u) // not a string: the operator's general test
						}
						s, found = a.text, true
						break
					}
				}
				if !found {
					continue cohorts // missing: never holds, negated or not (SPEC.md §2.3)
				}
			}
			n := len(s)
			var a, b uint64
			switch {
			case n >= 8 && n <= 16:
				a, b = word(s, 0), word(s, n-8)
			case n >= 4 && n < 8:
				a = uint64(word4(s, 0))<<32 | uint64(word4(s, n-4))
			default:
				a, b = keyWords(s)
			}
			var hit bool
			if t.one {
				hit = n == len(t.only) && a == t.onlyA && b == t.onlyB && (n <= 16 || s == t.only)
			} else if bit := mixWords(a, b, n) >> (t.filterBits & 63); t.filter[bit/64]&(1<<(bit%64)) != 0 {
				_, hit = t.set[s]
			}
			if hit != t.holdsOnHit {
				continue cohorts
			}
		}
		if c.full {
			return c.included
		}
		if bucket == notComputed {
			if u.Key == "" {
				return f.evaluateGeneral(u) // no key: stickiness from the userId attribute, or missing
			}
			bucket = int(f.prefix.sum(u.Key) % BucketCount)
		}
		if bucket < c.threshold {
			return c.included
		}
	}
	if bucket != notComputed {
		return answerOutsideRollout
	}
	return answerNoMatch
}
