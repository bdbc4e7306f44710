package canary

import (
	"math/bits"
	"strings"
	"testing"
)

// referenceMurmur3 is MurmurHash3 x86_32 as its reference code reads: whole blocks, then the tail.
func referenceMurmur3(data string, seed uint32) uint32 {
	h1 := seed
	n := len(data) / 4 * 4
	for i := 0; i < n; i += 4 {
		h1 = mixBlock(h1, uint32(data[i])|uint32(data[i+1])<<8|uint32(data[i+2])<<16|uint32(data[i+3])<<24)
	}
	var k1 uint32
	for i := len(data) - 1; i >= n; i-- {
		k1 = k1<<8 | uint32(data[i])
	}
	if len(data) > n {
		h1 ^= bits.RotateLeft32(k1*murmurC1, 15) * murmurC2
	}
	h1 ^= uint32(len(data))
	h1 ^= h1 >> 16
	h1 *= 0x85ebca6b
	h1 ^= h1 >> 13
	h1 *= 0xc2b2ae35
	return h1 ^ h1>>16
}

// TestHashPrefixSumIsMurmur3OfTheWhole: a prefix of every length (so every offset at which the
// value's bytes fall into blocks) then a value of every length hash as the whole text does.
// sdk/fixtures/bucketing.json pins the same through Bucket on realistic salts and values.
func TestHashPrefixSumIsMurmur3OfTheWhole(t *testing.T) {
	text := "new-checkout:u-02500/ütf-8 ✓ and more bytes"
	for p := 0; p <= 13; p++ {
		for v := 0; p+v <= len(text); v++ {
			prefix, value := text[:p], text[p:p+v]
			got := hashPrefix{h1: 7}.add(prefix).sum(value)
			if want := referenceMurmur3(prefix+value, 7); got != want {
				t.Fatalf("prefix %q value %q: %08x, want %08x", prefix, value, got, want)
			}
		}
	}
	if got, want := murmur3(strings.Repeat("ab", 40), 0), referenceMurmur3(strings.Repeat("ab", 40), 0); got != want {
		t.Fatalf("murmur3 of 80 bytes: %08x, want %08x", got, want)
	}
}
