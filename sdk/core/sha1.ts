/**
 * SHA-1 of the UTF-8 bytes of a string, pure and synchronous, for LaunchDarkly-compatible
 * bucketing only (see `bucketing-modes.ts`). SHA-1 is not used here for security: LaunchDarkly
 * buckets with it, so reproducing its users' buckets takes the same digest.
 *
 * Pure rather than `node:crypto` so the core stays platform-free (the Node SDK, the server and
 * tests share it; the browser SDK never evaluates rules, so this module is not in its bundle).
 * Only the first 64 bits of the digest are needed, so `sha1High` returns those two words.
 */

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n))

/**
 * Scratch space reused by every call (the function is synchronous and never re-entered): the
 * padded message and the 80-word schedule. Allocating them per call cost most of the time.
 */
let message = new Uint8Array(128)
const schedule = new Int32Array(80)

/**
 * Writes the UTF-8 bytes of `s` (lone surrogates as U+FFFD, as TextEncoder does) into `message`,
 * then SHA-1's padding: 0x80, zeros, and the 64-bit big-endian bit length. Returns the padded
 * length, a multiple of 64.
 */
function padInto(s: string): number {
  // At most 3 bytes per UTF-16 unit, plus 0x80 and the 8-byte length, in whole blocks.
  const room = (((s.length * 3 + 9 + 63) >>> 6) << 6) >>> 0
  if (message.length < room) message = new Uint8Array(room)
  const out = message
  let n = 0
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      out[n++] = c
      continue
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >>> 6)
      out[n++] = 0x80 | (c & 0x3f)
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = c <= 0xdbff && i + 1 < s.length ? s.charCodeAt(i + 1) : 0
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
        out[n++] = 0xf0 | (cp >>> 18)
        out[n++] = 0x80 | ((cp >>> 12) & 0x3f)
        out[n++] = 0x80 | ((cp >>> 6) & 0x3f)
        out[n++] = 0x80 | (cp & 0x3f)
        i++
        continue
      }
      c = 0xfffd
    }
    out[n++] = 0xe0 | (c >>> 12)
    out[n++] = 0x80 | ((c >>> 6) & 0x3f)
    out[n++] = 0x80 | (c & 0x3f)
  }
  const total = (((n + 9 + 63) >>> 6) << 6) >>> 0
  out[n] = 0x80
  out.fill(0, n + 1, total)
  // The bit length's high word: strings here are far below 2^29 bytes, so only the low word is set.
  const bits = n * 8
  out[total - 4] = bits >>> 24
  out[total - 3] = (bits >>> 16) & 0xff
  out[total - 2] = (bits >>> 8) & 0xff
  out[total - 1] = bits & 0xff
  return total
}

/**
 * The five 32-bit words of SHA-1(utf8(s)), big-endian order (word 0 = the first 8 hex digits).
 *
 * @example
 * sha1Words('abc')[0].toString(16) // 'a9993e36'
 */
export function sha1Words(s: string): [number, number, number, number, number] {
  const length = padInto(s)
  const bytes = message
  const w = schedule
  let h0 = 0x67452301
  let h1 = 0xefcdab89 | 0
  let h2 = 0x98badcfe | 0
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0 | 0
  for (let block = 0; block < length; block += 64) {
    for (let i = 0; i < 16; i++) {
      const j = block + i * 4
      w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!
    }
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!, 1)
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    // Four rounds of 20 steps, each with its own function and constant (unrolled by round so
    // each loop body is branch-free).
    for (let i = 0; i < 20; i++) {
      const t = (rotl(a, 5) + ((b & c) | (~b & d)) + e + w[i]! + 0x5a827999) | 0
      e = d
      d = c
      c = rotl(b, 30)
      b = a
      a = t
    }
    for (let i = 20; i < 40; i++) {
      const t = (rotl(a, 5) + (b ^ c ^ d) + e + w[i]! + 0x6ed9eba1) | 0
      e = d
      d = c
      c = rotl(b, 30)
      b = a
      a = t
    }
    for (let i = 40; i < 60; i++) {
      const t = (rotl(a, 5) + ((b & c) | (b & d) | (c & d)) + e + w[i]! - 0x70e44324) | 0 // + 0x8f1bbcdc
      e = d
      d = c
      c = rotl(b, 30)
      b = a
      a = t
    }
    for (let i = 60; i < 80; i++) {
      const t = (rotl(a, 5) + (b ^ c ^ d) + e + w[i]! - 0x359d3e2a) | 0 // + 0xca62c1d6
      e = d
      d = c
      c = rotl(b, 30)
      b = a
      a = t
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
  }
  return [h0 >>> 0, h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

/**
 * SHA-1(utf8(s)) as 40 lowercase hex digits (tests compare it with `node:crypto`).
 *
 * @example
 * sha1Hex('abc') // 'a9993e364706816aba3e25717850c26c9cd0d89d'
 */
export function sha1Hex(s: string): string {
  return sha1Words(s)
    .map((word) => word.toString(16).padStart(8, '0'))
    .join('')
}
