import murmurhash from 'murmurhash'
import { describe, expect, it } from 'vitest'
import { murmur3, murmur3Bytes, murmur3Keyed, murmur3KeyedSigned } from '../../../sdk/core/murmur3.ts'
import { seededRandom } from '../../../sdk/fixtures/prng.ts'


/** Strings mixing every UTF-8 length class, including lone and mis-ordered surrogates. */
function randomString(random: () => number, maxLength: number): string {
  const length = Math.floor(random() * (maxLength + 1))
  let s = ''
  for (let i = 0; i < length; i++) {
    const r = random()
    if (r < 0.4) s += String.fromCharCode(Math.floor(random() * 0x80)) // 1 byte
    else if (r < 0.55) s += String.fromCharCode(0x80 + Math.floor(random() * 0x780)) // 2 bytes
    else if (r < 0.75) s += String.fromCharCode(0x800 + Math.floor(random() * 0xd000)) // 3 bytes
    else if (r < 0.9) s += String.fromCodePoint(0x10000 + Math.floor(random() * 0x100000)) // 4
    else s += String.fromCharCode(0xd800 + Math.floor(random() * 0x800)) // lone surrogate
  }
  return s
}

describe('murmur3', () => {
  it('matches published MurmurHash3 x86_32 values', () => {
    expect(murmur3('')).toBe(0)
    expect(murmur3('', 1)).toBe(0x514e28b7)
    expect(murmur3('', 0xffffffff)).toBe(0x81f16f39)
    expect(murmur3('hello')).toBe(613153351)
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723)
    expect(murmur3('Hello, world!', 0x9747b28c)).toBe(0x24884cba)
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd)
  })

  it('equals murmurhash.v3 on 20,000 random strings mixing every UTF-8 width', () => {
    const random = seededRandom(1)
    const mismatches: string[] = []
    for (let i = 0; i < 20_000; i++) {
      const s = randomString(random, i % 50)
      if (murmur3(s) !== murmurhash.v3(s, 0)) mismatches.push(JSON.stringify(s))
    }
    expect(mismatches).toEqual([])
  })

  it('equals murmurhash.v3 with non-zero seeds', () => {
    const random = seededRandom(2)
    for (let i = 0; i < 2_000; i++) {
      const s = randomString(random, 20)
      const seed = Math.floor(random() * 2 ** 32)
      expect(murmur3(s, seed)).toBe(murmurhash.v3(s, seed))
    }
  })

  it('encodes every length 0 to 17 across block boundaries like TextEncoder', () => {
    // Multi-byte characters at every offset exercise the carry of bytes into the next block.
    for (const unit of ['a', 'é', '日', '😀']) {
      for (let n = 0; n <= 17; n++) {
        for (const prefix of ['', 'x', 'xy', 'xyz']) {
          const s = prefix + unit.repeat(n)
          expect(murmur3(s), JSON.stringify(s)).toBe(murmurhash.v3(s, 0))
        }
      }
    }
  })

  it('hashes lone surrogates as U+FFFD like TextEncoder', () => {
    const cases = ['\ud800', '\udfff', 'a\ud83d', '\ud83db', '\ude00\ud83d', 'x\udc00y\ud800']
    for (const s of cases) {
      expect(murmur3(s), JSON.stringify(s)).toBe(murmurhash.v3(s, 0))
      expect(murmur3(s)).toBe(murmur3(s.replace(/[\ud800-\udfff]/g, '\ufffd')))
    }
  })

  it('hashes a surrogate pair as one 4-byte code point, not two replacement characters', () => {
    expect(murmur3('😀')).toBe(murmurhash.v3(new Uint8Array([0xf0, 0x9f, 0x98, 0x80]), 0))
    expect(murmur3('😀')).not.toBe(murmur3('\ufffd\ufffd'))
  })

  it('returns an unsigned 32-bit integer', () => {
    const random = seededRandom(3)
    for (let i = 0; i < 1_000; i++) {
      const h = murmur3(randomString(random, 10))
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true)
    }
  })
})

describe('murmur3Keyed', () => {
  it('equals murmurhash.v3 of prefix + ":" + value on 10,000 random pairs', () => {
    const random = seededRandom(4)
    const mismatches: string[] = []
    for (let i = 0; i < 10_000; i++) {
      const prefix = randomString(random, 12)
      const value = randomString(random, 30)
      if (murmur3Keyed(prefix, value) !== murmurhash.v3(`${prefix}:${value}`, 0)) {
        mismatches.push(JSON.stringify([prefix, value]))
      }
    }
    expect(mismatches).toEqual([])
  })

  it('equals murmur3 of the concatenation for empty parts and edge characters', () => {
    const parts = ['', ':', 'é', '😀', '\ud800', '\udc00', 'abc', '日本']
    for (const prefix of parts) {
      for (const value of parts) {
        expect(murmur3Keyed(prefix, value), JSON.stringify([prefix, value])).toBe(
          murmur3(`${prefix}:${value}`),
        )
      }
    }
  })

  it('murmur3KeyedSigned is the same hash as a signed 32-bit integer', () => {
    const random = seededRandom(5)
    let negatives = 0
    for (let i = 0; i < 1_000; i++) {
      const value = randomString(random, 16)
      const signed = murmur3KeyedSigned('salt', value)
      if (signed < 0) negatives++
      expect(signed >>> 0).toBe(murmur3Keyed('salt', value))
      expect(signed | 0).toBe(signed)
    }
    expect(negatives).toBeGreaterThan(0)
  })

  it('honours the seed argument', () => {
    expect(murmur3Keyed('salt', 'user', 42)).toBe(murmurhash.v3('salt:user', 42))
    expect(murmur3Keyed('salt', 'user', 42)).not.toBe(murmur3Keyed('salt', 'user', 0))
  })
})

describe('murmur3Bytes (pre-encoded bytes)', () => {
  it('equals murmur3 of the same text, at any offset and for every tail length', () => {
    const encoder = new TextEncoder()
    for (const text of ['', 'a', 'ab', 'abc', 'abcd', 'checkout-v2:user-42', 'zürich-ü', '日本語🙂']) {
      const bytes = encoder.encode(`xx${text}`)
      expect(murmur3Bytes(bytes, 2, bytes.length - 2)).toBe(murmur3(text))
      expect(murmur3Bytes(bytes, 2, bytes.length - 2, 7)).toBe(murmur3(text, 7))
    }
  })
})

describe('murmur3 at the edges of its fast paths', () => {
  // The first non-ASCII code unit (U+0080) and lone or reversed surrogates, at every offset
  // within a 4-byte block, straight and after a key prefix of every length.
  const edges = ['\u0080', '\u007f', '\u07ff', '\u0800', '\udc00\udc00', '\udbff\udfff', '\ud800', '\udc00\ud800', '\uffff']
  it('equals murmurhash.v3 for the first non-ASCII unit and surrogate edges at every offset', () => {
    for (const edge of edges)
      for (let before = 0; before < 6; before++)
        for (let after = 0; after < 6; after++) {
          const s = 'a'.repeat(before) + edge + 'b'.repeat(after)
          expect(murmur3(s), JSON.stringify(s)).toBe(murmurhash.v3(s, 0))
          for (let prefix = 0; prefix < 5; prefix++)
            expect(murmur3Keyed('p'.repeat(prefix), s), `${prefix} ${JSON.stringify(s)}`).toBe(murmurhash.v3(`${'p'.repeat(prefix)}:${s}`, 0))
        }
  })
})

