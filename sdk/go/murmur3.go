package canary

import "math/bits"

// MurmurHash3 x86_32, written once here and pinned by sdk/fixtures/bucketing.json (SPEC.md §3).
// Bucketing hashes salt + ":" + value with a fixed salt per flag, so a compiled flag keeps the
// hash state after the salt (hashPrefix) and each evaluation hashes only the user's value,
// reading the string in place: no allocation.

const (
	murmurC1 = 0xcc9e2d51
	murmurC2 = 0x1b873593
)

// hashPrefix is the murmur3 state after some leading bytes: the running hash over their whole
// 4-byte blocks and the 0–3 bytes left over (little-endian, first byte lowest).
type hashPrefix struct {
	h1     uint32
	block  uint32
	filled uint32 // bits of block in use: 0, 8, 16 or 24
	length uint32 // bytes hashed so far
}

func mixBlock(h1, k1 uint32) uint32 {
	k1 *= murmurC1
	k1 = bits.RotateLeft32(k1, 15)
	k1 *= murmurC2
	h1 ^= k1
	h1 = bits.RotateLeft32(h1, 13)
	return h1*5 + 0xe6546b64
}

// newHashPrefix hashes prefix + ":" with the given seed.
func newHashPrefix(prefix string, seed uint32) hashPrefix {
	p := hashPrefix{h1: seed}
	p = p.add(prefix)
	return p.add(":")
}

// add feeds s's bytes into the state.
func (p hashPrefix) add(s string) hashPrefix {
	h1, block, filled := p.h1, p.block, p.filled
	for i := 0; i < len(s); i++ {
		block |= uint32(s[i]) << filled
		filled += 8
		if filled == 32 {
			h1 = mixBlock(h1, block)
			block, filled = 0, 0
		}
	}
	return hashPrefix{h1: h1, block: block, filled: filled, length: p.length + uint32(len(s))}
}

// sum hashes value after the prefix and finalises. The prefix leaves 0–3 bytes pending, so the
// value's bytes fall into blocks at an offset: it reads the value 4 bytes at a time and shifts
// each word in after the pending bits (a 64-bit accumulator holds both), rather than byte by
// byte until it reaches a block boundary.
func (p hashPrefix) sum(value string) uint32 {
	h1 := p.h1
	acc, pending := uint64(p.block), p.filled // pending: bits of acc not yet hashed, < 32
	n := len(value)
	i := 0
	for ; i+4 <= n; i += 4 {
		acc |= uint64(word4(value, i)) << pending
		h1 = mixBlock(h1, uint32(acc))
		acc >>= 32
	}
	for ; i < n; i++ {
		acc |= uint64(value[i]) << pending
		pending += 8
	}
	if pending >= 32 {
		h1 = mixBlock(h1, uint32(acc))
		acc >>= 32
		pending -= 32
	}
	if pending > 0 {
		k1 := uint32(acc) * murmurC1
		k1 = bits.RotateLeft32(k1, 15)
		h1 ^= k1 * murmurC2
	}
	h1 ^= p.length + uint32(n)
	h1 ^= h1 >> 16
	h1 *= 0x85ebca6b
	h1 ^= h1 >> 13
	h1 *= 0xc2b2ae35
	h1 ^= h1 >> 16
	return h1
}

// murmur3 is MurmurHash3 x86_32 of s's bytes (the floor benchmark and tests).
func murmur3(s string, seed uint32) uint32 {
	return hashPrefix{h1: seed}.sum(s)
}
