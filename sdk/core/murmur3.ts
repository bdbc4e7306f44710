/**
 * MurmurHash3 x86_32 over the UTF-8 bytes of JavaScript strings, encoded on the fly.
 *
 * This is the hot path of `isEnabled`: the string is walked with `charCodeAt` and its UTF-8
 * bytes are fed straight into the hash, so a call allocates nothing (no `TextEncoder`, no
 * `Buffer`, no concatenated key). The byte stream is exactly what `TextEncoder` produces:
 * surrogate pairs become 4-byte sequences and lone surrogates become U+FFFD (`EF BF BD`), so the
 * result equals `murmurhash.v3(str, seed)` and any other-language implementation fed the same
 * UTF-8 bytes.
 *
 * Bucketing hashes `salt + ':' + value`, and the salt is fixed per flag, so `keyPrefix` mixes the
 * salt's bytes once (when the flag is compiled) and `murmur3FromPrefix` hashes only the user's
 * value from that saved state. The result is the same as hashing the whole key.
 */

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

/** Mixes one full little-endian 32-bit block into the running hash. */
function mixBlock(h1: number, k1: number): number {
  k1 = Math.imul(k1, C1)
  k1 = (k1 << 15) | (k1 >>> 17)
  k1 = Math.imul(k1, C2)
  h1 ^= k1
  h1 = (h1 << 13) | (h1 >>> 19)
  return (Math.imul(h1, 5) + 0xe6546b64) | 0
}

/**
 * The hash state after some leading bytes: the running hash over their whole 4-byte blocks, and
 * the 0–3 bytes left over, waiting for the next block.
 */
export interface KeyPrefix {
  readonly h1: number
  /** Left-over bytes, little-endian (first byte lowest). */
  readonly block: number
  /** Bits of `block` in use: 0, 8, 16 or 24. */
  readonly filled: number
  /** Bytes hashed so far; the finalisation mixes in the total length. */
  readonly length: number
}

/** The murmur3 finalisation: the left-over bytes, the length, then the avalanche. */
function finish(h1: number, block: number, filled: number, length: number): number {
  if (filled > 0) {
    let k1 = Math.imul(block, C1)
    k1 = (k1 << 15) | (k1 >>> 17)
    h1 ^= Math.imul(k1, C2)
  }
  h1 ^= length
  h1 ^= h1 >>> 16
  h1 = Math.imul(h1, 0x85ebca6b)
  h1 ^= h1 >>> 13
  h1 = Math.imul(h1, 0xc2b2ae35)
  h1 ^= h1 >>> 16
  return h1
}

/**
 * Hashes the UTF-8 bytes of `s` after a prefix state and finalises, returning the hash as a
 * signed 32-bit integer (`>>> 0` gives the usual unsigned value). Signed because V8 keeps an
 * int32 in a register or small integer, while an unsigned value above 2^31 returned from a
 * function is boxed as a heap number.
 *
 * The state is passed as numbers rather than a `KeyPrefix` so every caller shares this one
 * monomorphic function and nothing is allocated per call.
 *
 * Bucketing values (user ids, emails, UUIDs) are almost always ASCII, where one character is one
 * byte: this path fills the pending block up to a word boundary, then takes four characters per
 * block with no shifting, then keeps the tail. On a 7-character id it takes about a third less
 * time than the general loop. The first non-ASCII character hands the whole string to
 * `hashFromUtf8`, starting again from the same prefix state, so the result never depends on the
 * path taken.
 */
function hashFrom(h1: number, block: number, filled: number, length: number, s: string): number {
  const n = s.length
  let h = h1
  let b = block
  let f = filled
  let i = 0
  for (; f !== 0 && i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) return hashFromUtf8(h1, block, filled, length, s)
    b |= c << f
    f = (f + 8) & 31
    if (f === 0) {
      h = mixBlock(h, b)
      b = 0
    }
  }
  for (; i + 4 <= n; i += 4) {
    const c0 = s.charCodeAt(i)
    const c1 = s.charCodeAt(i + 1)
    const c2 = s.charCodeAt(i + 2)
    const c3 = s.charCodeAt(i + 3)
    if (((c0 | c1 | c2 | c3) & 0xff80) !== 0) return hashFromUtf8(h1, block, filled, length, s)
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24))
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) return hashFromUtf8(h1, block, filled, length, s)
    b |= c << f
    f += 8
  }
  return finish(h, b, f, length + n)
}

/**
 * `hashFrom` for any string: each character becomes its 1–4 UTF-8 bytes on the fly.
 */
function hashFromUtf8(
  h1: number,
  block: number,
  filled: number,
  length: number,
  s: string,
): number {
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    // `bytes` packs the character's UTF-8 sequence little-endian (first byte lowest), so it
    // can be OR-ed into the block at the current fill position in one step.
    let bytes: number
    let size: number
    if (c < 0x80) {
      bytes = c
      size = 1
    } else if (c < 0x800) {
      bytes = (0xc0 | (c >>> 6)) | ((0x80 | (c & 0x3f)) << 8)
      size = 2
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes = (0xe0 | (c >>> 12)) | ((0x80 | ((c >>> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16)
      size = 3
    } else {
      const d = c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
        bytes =
          (0xf0 | (cp >>> 18)) |
          ((0x80 | ((cp >>> 12) & 0x3f)) << 8) |
          ((0x80 | ((cp >>> 6) & 0x3f)) << 16) |
          ((0x80 | (cp & 0x3f)) << 24)
        size = 4
        i++
      } else {
        // Lone surrogate: TextEncoder (and so the reference package) emits U+FFFD.
        bytes = 0xbdbfef
        size = 3
      }
    }

    length += size
    block |= bytes << filled
    filled += size << 3
    if (filled >= 32) {
      h1 = mixBlock(h1, block)
      filled -= 32
      // The bytes that did not fit start the next block. When nothing spilled over,
      // `bytes >>> 32` would be `bytes` (shift counts are mod 32), hence the explicit 0.
      block = filled === 0 ? 0 : bytes >>> ((size << 3) - filled)
    }
  }
  return finish(h1, block, filled, length)
}

/**
 * MurmurHash3 x86_32 of `length` bytes of `bytes` starting at `offset`, as an unsigned 32-bit
 * integer: for bytes already encoded (the benchmark's hash floor hashes pre-encoded keys with it).
 *
 * @example
 * murmur3Bytes(new TextEncoder().encode('hello'), 0, 5) === murmur3('hello') // true
 */
export function murmur3Bytes(bytes: Uint8Array, offset: number, length: number, seed = 0): number {
  let h1 = seed | 0
  const blocksEnd = offset + (length & ~3)
  let i = offset
  for (; i < blocksEnd; i += 4) {
    h1 = mixBlock(h1, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
  }
  const left = length & 3
  let block = 0
  for (let j = 0; j < left; j++) block |= bytes[i + j]! << (j << 3)
  return finish(h1, block, left << 3, length) >>> 0
}

/**
 * The hash state after the UTF-8 bytes of `prefix + ':'`, the bucketing key format of the
 * contract (`salt:value`). Computed once per flag; `TextEncoder` gives the same bytes as the
 * on-the-fly encoding in `hashFrom`. A salt ending in half a surrogate pair encodes as U+FFFD
 * here, as it does inside the whole key, because `':'` follows it there too.
 *
 * @example
 * const salted = keyPrefix('checkout-v2')
 * murmur3FromPrefix(salted, 'user-42') >>> 0 === murmur3('checkout-v2:user-42') // true
 */
export function keyPrefix(prefix: string, seed = 0): KeyPrefix {
  // Encoded into one reused buffer (at most 3 bytes per UTF-16 unit): compiling 10,000 flags
  // made 10,000 encoders and byte arrays otherwise, all garbage at once.
  // A lone surrogate at the end encodes as U+FFFD alone too, so the ':' can follow separately.
  if (prefixBytes.length < 3 * prefix.length + 1) prefixBytes = new Uint8Array(3 * prefix.length + 1)
  encoder ??= new TextEncoder()
  const bytes = prefixBytes
  let length = encoder.encodeInto(prefix, bytes).written
  bytes[length++] = 0x3a // ':'
  const whole = length & ~3
  let h1 = seed | 0
  for (let i = 0; i < whole; i += 4) {
    const word = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    h1 = mixBlock(h1, word)
  }
  let block = 0
  for (let i = whole; i < length; i++) block |= bytes[i]! << ((i - whole) << 3)
  return { h1, block, filled: (length - whole) << 3, length }
}

let encoder: TextEncoder | undefined
let prefixBytes = new Uint8Array(0)

/**
 * MurmurHash3 x86_32 of `utf8(prefix + ':' + value)` from a `keyPrefix` state, as a signed 32-bit
 * integer: the bucketing hot path. Hashes only `value`'s bytes and allocates nothing.
 *
 * @example
 * murmur3FromPrefix(keyPrefix('salt'), 'user-1') >>> 0 === murmur3Keyed('salt', 'user-1') // true
 */
export function murmur3FromPrefix(prefix: KeyPrefix, value: string): number {
  return hashFrom(prefix.h1, prefix.block, prefix.filled, prefix.length, value)
}

/**
 * MurmurHash3 x86_32 of the UTF-8 encoding of `str`, as an unsigned 32-bit integer.
 *
 * @example
 * murmur3('hello') // 613153351, same as murmurhash.v3('hello', 0)
 */
export function murmur3(str: string, seed = 0): number {
  return hashFrom(seed | 0, 0, 0, 0, str) >>> 0
}

/** `murmur3` as a signed 32-bit integer (no heap number for a hash above 2^31): `>>> 0` gives `murmur3`. */
export function murmur3Signed(str: string): number {
  return hashFrom(0, 0, 0, 0, str)
}

/**
 * MurmurHash3 x86_32 of `utf8(prefix + ':' + value)` without building the concatenated string.
 * For one-off keys; bucketing keeps the `keyPrefix` per flag instead.
 *
 * @example
 * murmur3Keyed('checkout-v2', 'user-42') === murmur3('checkout-v2:user-42') // true
 */
export function murmur3Keyed(prefix: string, value: string, seed = 0): number {
  return murmur3FromPrefix(keyPrefix(prefix, seed), value) >>> 0
}

/**
 * `murmur3Keyed` as a signed 32-bit integer. `>>> 0` at the use site yields `murmur3Keyed`.
 *
 * @example
 * murmur3KeyedSigned('salt', 'user-1') >>> 0 === murmur3Keyed('salt', 'user-1') // true
 */
export function murmur3KeyedSigned(prefix: string, value: string, seed = 0): number {
  return murmur3FromPrefix(keyPrefix(prefix, seed), value)
}
