import murmurhash from 'murmurhash'
import { RICH_KEY } from '../fixture/flags.ts'
import type { BenchUser } from '../fixture/users.ts'

/**
 * The floor no bucketing can beat: MurmurHash3 x86_32 over key bytes that are already encoded
 * and at hand, as a tight loop over a byte array. It does no attribute lookup, no encoding and
 * no rule logic, so "our isEnabled / this" says what the rest of evaluation costs.
 */

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

export function murmur3Bytes(
  bytes: Uint8Array,
  offset: number,
  length: number,
  seed: number,
): number {
  let h1 = seed | 0
  const blocksEnd = offset + (length & ~3)
  let i = offset
  for (; i < blocksEnd; i += 4) {
    let k1 = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k1 = Math.imul(k1, C1)
    k1 = (k1 << 15) | (k1 >>> 17)
    k1 = Math.imul(k1, C2)
    h1 ^= k1
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
  }
  let k1 = 0
  switch (length & 3) {
    case 3:
      k1 ^= bytes[i + 2]! << 16
    // falls through
    case 2:
      k1 ^= bytes[i + 1]! << 8
    // falls through
    case 1:
      k1 ^= bytes[i]!
      k1 = Math.imul(k1, C1)
      k1 = (k1 << 15) | (k1 >>> 17)
      h1 ^= Math.imul(k1, C2)
  }
  h1 ^= length
  h1 ^= h1 >>> 16
  h1 = Math.imul(h1, 0x85ebca6b)
  h1 ^= h1 >>> 13
  h1 = Math.imul(h1, 0xc2b2ae35)
  h1 ^= h1 >>> 16
  return h1 >>> 0
}

/** Bucketing keys of the rich flag (`salt:userId`, 20 bytes each), encoded back to back. */
export interface KeyBytes {
  bytes: Uint8Array
  keyLength: number
  count: number
}

export function encodeKeys(users: readonly BenchUser[]): KeyBytes {
  const encoder = new TextEncoder()
  const keyLength = encoder.encode(`${RICH_KEY}:${users[0]!.id}`).length
  const bytes = new Uint8Array(keyLength * users.length)
  users.forEach((user, i) => {
    const { written } = encoder.encodeInto(`${RICH_KEY}:${user.id}`, bytes.subarray(i * keyLength))
    if (written !== keyLength) throw new Error(`key of ${user.id} is not ${keyLength} bytes`)
  })
  return { bytes, keyLength, count: users.length }
}

/** The floor must hash what the contract hashes: checked against the reference package. */
export function verifyFloor(keys: KeyBytes, users: readonly BenchUser[]): string | undefined {
  for (let i = 0; i < keys.count; i++) {
    const expected = murmurhash.v3(`${RICH_KEY}:${users[i]!.id}`, 0)
    const actual = murmur3Bytes(keys.bytes, i * keys.keyLength, keys.keyLength, 0)
    if (actual !== expected) return `key ${i}: ${actual} ≠ murmurhash.v3 ${expected}`
  }
  return undefined
}
