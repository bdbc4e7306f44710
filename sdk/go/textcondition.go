package canary

import "math/bits"

// textCondition is `in`/`not_in` with case-sensitive values, what most rules hold (a beta list
// of user ids, a region): a string attribute is compared as text without a call into the
// runtime; any other value (a number, a boolean) goes to the operator's general test.
type textCondition struct {
	attribute  attributeName
	holdsOnHit bool // `in` and not negated, or `not_in` negated
	// One value (a region): the value and its keyWords, compared in place. Several values: a
	// set, with a one-hash Bloom filter in front (see holdsFor).
	one        bool
	only       string
	onlyA      uint64
	onlyB      uint64
	set        map[string]struct{}
	filter     []uint64
	filterBits uint // quickHash's top bits pick the filter bit
	general    testCondition
}

// newTextCondition compiles the values (at least one: the operator refuses an empty list).
func newTextCondition(attribute attributeName, texts []string, holdsOnHit bool, general testCondition) *textCondition {
	c := &textCondition{attribute: attribute, holdsOnHit: holdsOnHit, general: general}
	set := make(map[string]struct{}, len(texts))
	for _, t := range texts {
		set[t] = struct{}{}
	}
	if len(set) == 1 {
		c.one, c.only = true, texts[0]
		c.onlyA, c.onlyB = keyWords(c.only)
		return c
	}
	size := uint(64) // bits: a power of two, about 16 per value
	for size < uint(16*len(set)) {
		size *= 2
	}
	c.set, c.filter, c.filterBits = set, make([]uint64, size/64), uint(64-bits.TrailingZeros(size))
	for v := range set {
		bit := quickHash(v) >> c.filterBits
		c.filter[bit/64] |= 1 << (bit % 64)
	}
	return c
}

func (c *textCondition) holds(u User) bool { return c.holdsFor(&u) }

// holdsFor is holds with the user by pointer (see cohortCondition.holds).
func (c *textCondition) holdsFor(u *User) bool {
	s, ok := u.stringAttribute(&c.attribute)
	if !ok {
		return c.general.holds(User{Key: u.Key, attrs: u.attrs})
	}
	return c.holdsForText(s)
}

// holdsForText is the condition on a string value. evaluateCohorts has it written out in its loop
// (a call there costs more than the test); FuzzEvaluate checks that both answer alike.
func (c *textCondition) holdsForText(s string) bool {
	// keyWords(s), its usual cases in place: up to 16 bytes they are the whole string, so equal
	// lengths and words are equal strings, compared without the runtime's memequal.
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
	if c.one {
		return (n == len(c.only) && a == c.onlyA && b == c.onlyB && (n <= 16 || s == c.only)) == c.holdsOnHit
	}
	// The filter turns away most unlisted values before the map lookup, which runs the
	// runtime's hash over the whole string: a beta list is checked for every user and almost
	// never holds them. quickHash (mixWords of the words) reads every byte of a value up to 16
	// bytes (ids such as "u-02500" differ in any digit), so about one unlisted value in 16
	// passes; nothing listed is ever turned away.
	bit := mixWords(a, b, n) >> (c.filterBits & 63)
	if c.filter[bit/64]&(1<<(bit%64)) == 0 {
		return !c.holdsOnHit
	}
	_, hit := c.set[s]
	return hit == c.holdsOnHit
}
