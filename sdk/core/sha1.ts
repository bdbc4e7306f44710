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

/** The UTF-8 bytes of `s` followed by SHA-1's padding and the 64-bit big-endian bit length. */
function paddedMessage(s: string): Uint8Array {
  const bytes = new TextEncoder().encode(s)
  const length = bytes.length
  // Room for the 0x80 byte and the 8-byte length, rounded up to whole 64-byte blocks.
  const total = (((length + 9 + 63) >>> 6) << 6) >>> 0
  const message = new Uint8Array(total)
  message.set(bytes)
  message[length] = 0x80
  const view = new DataView(message.buffer)
  // Bit length as two 32-bit halves: strings here are far below 2^29 bytes, the high half is 0.
  view.setUint32(total - 8, Math.floor(length / 0x20000000) >>> 0)
  view.setUint32(total - 4, (length * 8) >>> 0)
  return message
}

/**
 * The five 32-bit words of SHA-1(utf8(s)), big-endian order (word 0 = the first 8 hex digits).
 *
 * @example
 * sha1Words('abc')[0].toString(16) // 'a9993e36'
 */
export function sha1Words(s: string): [number, number, number, number, number] {
  const message = paddedMessage(s)
  const view = new DataView(message.buffer)
  const w = new Int32Array(80)
  let h0 = 0x67452301
  let h1 = 0xefcdab89 | 0
  let h2 = 0x98badcfe | 0
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0 | 0
  for (let block = 0; block < message.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(block + i * 4)
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!, 1)
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    for (let i = 0; i < 80; i++) {
      let f: number
      let k: number
      if (i < 20) {
        f = (b & c) | (~b & d)
        k = 0x5a827999
      } else if (i < 40) {
        f = b ^ c ^ d
        k = 0x6ed9eba1
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d)
        k = 0x8f1bbcdc | 0
      } else {
        f = b ^ c ^ d
        k = 0xca62c1d6 | 0
      }
      const t = (rotl(a, 5) + f + e + k + w[i]!) | 0
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
