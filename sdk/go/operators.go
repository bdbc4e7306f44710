package canary

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"
)

// The operator table (SPEC.md §2.3): each operator compiles its values once into a test of one
// attribute value. Anything not in the table fails closed: the condition never holds.

type outcome int8

const (
	no           outcome = 0
	yes          outcome = 1
	incomparable outcome = -1 // missing or of a type the operator cannot compare: never holds
)

// attributeTest is an operator bound to its parsed values; v is nil when the attribute is missing.
type attributeTest func(v any) outcome

// maxPatternSize bounds one `matches` pattern, in RE2 program instructions with each
// character-class range counted (SPEC.md §2.6).
const maxPatternSize = 300

type operatorCompiler func(values []any, caseInsensitive bool) (attributeTest, error)

var operators = map[string]operatorCompiler{
	"in":          func(v []any, ci bool) (attributeTest, error) { return compileMembership(v, ci, true) },
	"not_in":      func(v []any, ci bool) (attributeTest, error) { return compileMembership(v, ci, false) },
	"starts_with": compileStringOp(strings.HasPrefix),
	"ends_with":   compileStringOp(strings.HasSuffix),
	"contains":    compileStringOp(strings.Contains),
	"matches":     compileMatches,
	"lt":          compileOrdered(toNumber, "a finite number", func(a, b float64) bool { return a < b }, true),
	"lte":         compileOrdered(toNumber, "a finite number", func(a, b float64) bool { return a <= b }, true),
	"gt":          compileOrdered(toNumber, "a finite number", func(a, b float64) bool { return a > b }, false),
	"gte":         compileOrdered(toNumber, "a finite number", func(a, b float64) bool { return a >= b }, false),
	"semver_eq":   compileSemver(func(c int) bool { return c == 0 }),
	"semver_lt":   compileSemver(func(c int) bool { return c < 0 }),
	"semver_gt":   compileSemver(func(c int) bool { return c > 0 }),
	"before":      compileOrdered(toEpochMillis, "an ISO-8601 timestamp or epoch milliseconds", func(a, b float64) bool { return a < b }, true),
	"after":       compileOrdered(toEpochMillis, "an ISO-8601 timestamp or epoch milliseconds", func(a, b float64) bool { return a > b }, false),
	"exists":      compileExists,
}

// KnownOperator reports whether this SDK can evaluate the operator.
func KnownOperator(op string) bool {
	_, ok := operators[op]
	return ok
}

// parseAll parses every condition value (strings and numbers only), or names the first bad one.
func parseAll[T any](values []any, parse func(any) (T, bool), kind string) ([]T, error) {
	if len(values) == 0 {
		return nil, fmt.Errorf("needs at least one value")
	}
	out := make([]T, 0, len(values))
	for _, v := range values {
		var p T
		ok := false
		switch v.(type) {
		case string, float64:
			p, ok = parse(v)
		}
		if !ok {
			return nil, fmt.Errorf("value %v is not %s", v, kind)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseTexts(values []any, caseInsensitive bool) ([]string, error) {
	texts, err := parseAll(values, toText, "a string or a finite number")
	if err != nil || !caseInsensitive {
		return texts, err
	}
	for i, t := range texts {
		texts[i] = lowerJS(t)
	}
	return texts, nil
}

func compileMembership(values []any, caseInsensitive, expected bool) (attributeTest, error) {
	texts, err := parseTexts(values, caseInsensitive)
	if err != nil {
		return nil, err
	}
	set := make(map[string]struct{}, len(texts))
	for _, t := range texts {
		set[t] = struct{}{}
	}
	hit, miss := yes, no
	if !expected {
		hit, miss = no, yes
	}
	return func(v any) outcome {
		text, ok := toText(v)
		if !ok {
			return incomparable
		}
		if caseInsensitive {
			text = lowerJS(text)
		}
		if _, found := set[text]; found {
			return hit
		}
		return miss
	}, nil
}

func compileStringOp(match func(text, needle string) bool) operatorCompiler {
	return func(values []any, caseInsensitive bool) (attributeTest, error) {
		needles, err := parseTexts(values, caseInsensitive)
		if err != nil {
			return nil, err
		}
		return func(v any) outcome {
			text, ok := toBoundedText(v)
			if !ok {
				return incomparable
			}
			if caseInsensitive {
				text = lowerJS(text)
			}
			for _, n := range needles {
				if match(text, n) {
					return yes
				}
			}
			return no
		}, nil
	}
}

// patternCost is RE2's program size with each character-class range counted as one more
// instruction (two when case-folded), as sdk/core/regex-cost.ts counts it; ok is false for an
// invalid pattern.
func patternCost(pattern string, caseInsensitive bool) (int, bool) {
	flags := syntax.Perl
	if caseInsensitive {
		flags |= syntax.FoldCase
	}
	re, err := syntax.Parse(pattern, flags)
	if err != nil {
		return 0, false
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return 0, false
	}
	cost := 0
	for _, inst := range prog.Inst {
		ranges := 0
		if len(inst.Rune) > 1 {
			ranges = len(inst.Rune) / 2
		}
		if syntax.Flags(inst.Arg)&syntax.FoldCase != 0 && inst.Op == syntax.InstRune {
			ranges *= 2
		}
		cost += 1 + ranges
	}
	return cost, true
}

func compileMatches(values []any, caseInsensitive bool) (attributeTest, error) {
	var tooBig error
	patterns, err := parseAll(values, func(v any) (*regexp.Regexp, bool) {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		prefix := ""
		if caseInsensitive {
			prefix = "(?i)"
		}
		re, err := regexp.Compile(prefix + s)
		if err != nil {
			return nil, false
		}
		if size, _ := patternCost(s, caseInsensitive); size > maxPatternSize && tooBig == nil {
			tooBig = fmt.Errorf("pattern %q compiles to %d RE2 instructions, more than %d", s, size, maxPatternSize)
		}
		return re, true
	}, "a valid RE2 regular expression")
	if err != nil {
		return nil, err
	}
	if tooBig != nil {
		return nil, tooBig
	}
	return func(v any) outcome {
		text, ok := toBoundedText(v)
		if !ok {
			return incomparable
		}
		for _, re := range patterns {
			if re.MatchString(text) {
				return yes
			}
		}
		return no
	}, nil
}

// compileOrdered compares against the loosest bound: "less than any value" is "less than the largest".
func compileOrdered(parse func(any) (float64, bool), kind string, holds func(a, b float64) bool, useMax bool) operatorCompiler {
	return func(values []any, _ bool) (attributeTest, error) {
		numbers, err := parseAll(values, parse, kind)
		if err != nil {
			return nil, err
		}
		bound := math.Inf(1)
		if useMax {
			bound = math.Inf(-1)
		}
		for _, n := range numbers {
			if (useMax && n > bound) || (!useMax && n < bound) {
				bound = n
			}
		}
		return func(v any) outcome {
			n, ok := parse(v)
			if !ok {
				return incomparable
			}
			if holds(n, bound) {
				return yes
			}
			return no
		}, nil
	}
}

func toSemver(v any) (semver, bool) {
	s, ok := v.(string)
	if !ok {
		return semver{}, false
	}
	return parseSemver(s)
}

func compileSemver(holds func(cmp int) bool) operatorCompiler {
	return func(values []any, _ bool) (attributeTest, error) {
		versions, err := parseAll(values, toSemver, "a valid semantic version")
		if err != nil {
			return nil, err
		}
		return func(v any) outcome {
			sv, ok := toSemver(v)
			if !ok {
				return incomparable
			}
			for _, bound := range versions {
				if holds(sv.compare(bound)) {
					return yes
				}
			}
			return no
		}, nil
	}
}

func compileExists([]any, bool) (attributeTest, error) {
	return func(v any) outcome {
		if v == nil {
			return no
		}
		return yes
	}, nil
}
