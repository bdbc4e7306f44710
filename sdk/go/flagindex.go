package canary

import "math/bits"

// flagIndex finds a flag's entry by key for IsEnabled. It is built once per published state
// (the state's map stays the copy that changes are applied to) and read without locks. A Go map
// runs the runtime's seeded hash over the whole key; this table hashes at most three 8-byte
// words of it (the first, middle and last: all of a key up to 16 bytes) with two multiplies and
// probes linearly, at most half full. Keys that share those words (long keys differing only
// elsewhere) would share a hash: when building finds a probe run longer than maxProbe, the
// index hashes whole keys instead. Flag keys are chosen by the project's admins, not by users,
// so a fixed-seed hash is not open to flooding.
type flagIndex struct {
	slots []flagSlot
	mask  uint64
	shift uint // the hash's top bits pick the first slot (a multiply's best-mixed bits)
	whole bool // hash whole keys (quickHash collided too often for these keys)
}

// flagSlot holds one entry and the words quickHash reads of its key (keyWords) with its length,
// compared before anything else: for a key up to 16 bytes they are the key, so a lookup compares
// no text at all (no call, no load of the entry's key); a longer key is compared in full after
// them. The entry's flag and counts are copied in, so IsEnabled reaches them with one load fewer
// (each load there waits for the one before). entry nil: empty.
type flagSlot struct {
	a, b   uint64
	n      int
	flag   *compiledFlag
	counts *flagCounts
	entry  *flagEntry
}

// maxProbe is the longest run of slots a lookup may walk before the index hashes whole keys.
const maxProbe = 8

func newFlagIndex(flags map[string]*flagEntry) flagIndex {
	if ix, ok := buildFlagIndex(flags, false); ok {
		return ix
	}
	ix, _ := buildFlagIndex(flags, true)
	return ix
}

// buildFlagIndex fills a table; ok is false when a probe run exceeded maxProbe.
func buildFlagIndex(flags map[string]*flagEntry, whole bool) (flagIndex, bool) {
	size := 8
	for size < 2*len(flags) {
		size *= 2
	}
	ix := flagIndex{slots: make([]flagSlot, size), mask: uint64(size - 1), shift: uint(64 - bits.TrailingZeros(uint(size))), whole: whole}
	ok := true
	for _, e := range flags {
		a, b := keyWords(e.key)
		h := ix.hash(e.key, a, b)
		i, probes := h>>ix.shift, 0
		for ix.slots[i].entry != nil {
			i, probes = (i+1)&ix.mask, probes+1
		}
		ok = ok && probes <= maxProbe
		ix.slots[i] = flagSlot{a: a, b: b, n: len(e.key), flag: e.flag, counts: e.counts, entry: e}
	}
	return ix, ok
}

// hash is the key's hash; a and b are its keyWords.
func (ix *flagIndex) hash(key string, a, b uint64) uint64 {
	if ix.whole {
		return wholeHash(key)
	}
	return mixWords(a, b, len(key))
}

// get returns the flag's entry, or nil when the state has no such flag.
func (ix *flagIndex) get(key string) *flagEntry {
	if slot := ix.find(key); slot != nil {
		return slot.entry
	}
	return nil
}

// find returns the flag's slot, or nil. Keys of 8 to 16 bytes (most) take a path with no call on
// it, so nothing is saved to the stack around one; the rest go to findAny.
func (ix *flagIndex) find(key string) *flagSlot {
	n := len(key)
	if n < 8 || n > 16 || ix.whole || len(ix.slots) == 0 {
		return ix.findAny(key)
	}
	a, b := word(key, 0), word(key, n-8) // keyWords(key): the whole key
	// shift & 63: the compiler emits a plain shift, without its check for a shift of 64 or more.
	for i := mixWords(a, b, n) >> (ix.shift & 63); ; i = (i + 1) & ix.mask {
		slot := &ix.slots[i]
		if slot.entry == nil {
			return nil
		}
		if slot.a == a && slot.b == b && slot.n == n {
			return slot
		}
	}
}

// findAny is find for any key and index.
func (ix *flagIndex) findAny(key string) *flagSlot {
	if len(ix.slots) == 0 {
		return nil
	}
	n := len(key)
	a, b := keyWords(key)
	for i := ix.hash(key, a, b) >> ix.shift; ; i = (i + 1) & ix.mask {
		slot := &ix.slots[i]
		if slot.entry == nil {
			return nil
		}
		if slot.a == a && slot.b == b && slot.n == n && (n <= 16 || slot.entry.key == key) {
			return slot
		}
	}
}

const (
	hashC1 = 0x87c37b91114253d5 // murmur3 x64_128's constants
	hashC2 = 0x4cf5ad432745937f
)

// word4 reads 4 bytes of s from i, little-endian.
func word4(s string, i int) uint32 {
	s = s[i : i+4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// word reads 8 bytes of s from i, little-endian (one load once compiled).
func word(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// quickHash hashes the length and up to three 8-byte words: all of a key up to 16 bytes (its
// first and last words, overlapping), the first, middle and last words of a longer one. One
// multiply: callers take the top bits, which every input bit reaches. Under 8 bytes it is
// one-to-one among strings of the same length (the bytes fit in 56 bits and the multiply is
// invertible): user.go's attribute names rely on that.
func quickHash(s string) uint64 {
	a, b := keyWords(s)
	return mixWords(a, b, len(s))
}

// keyWords are the words quickHash mixes: for a string up to 16 bytes, with its length, the
// string itself (any two different strings of one length give different words).
func keyWords(s string) (a, b uint64) {
	n := len(s)
	switch {
	case n > 16:
		a, b = word(s, 0)^bits.RotateLeft64(word(s, n/2-4), 17), word(s, n-8)
	case n >= 8:
		a, b = word(s, 0), word(s, n-8)
	case n >= 4:
		// Two overlapping 4-byte words hold every byte: still one-to-one for a given length.
		a = uint64(word4(s, 0))<<32 | uint64(word4(s, n-4))
	default:
		for i := 0; i < n; i++ {
			a = a<<8 | uint64(s[i])
		}
	}
	return a, b
}

func mixWords(a, b uint64, n int) uint64 {
	return (a ^ bits.RotateLeft64(b, 29) ^ uint64(n)<<56) * hashC2
}

// wholeHash hashes every byte, 8 at a time (murmur3 x64's block mix).
func wholeHash(s string) uint64 {
	h := uint64(len(s)) * hashC1
	for len(s) >= 8 {
		h ^= bits.RotateLeft64(word(s, 0)*hashC1, 31) * hashC2
		h = bits.RotateLeft64(h, 27)*5 + 0x52dce729
		s = s[8:]
	}
	var k uint64
	for i := len(s) - 1; i >= 0; i-- {
		k = k<<8 | uint64(s[i])
	}
	return mix64(h ^ bits.RotateLeft64(k*hashC1, 31)*hashC2)
}

// mix64 is murmur3's 64-bit finaliser: every input bit reaches the low bits the table uses.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}
