import murmurhash from 'murmurhash'
import { murmur3Bytes } from '../../sdk/core/murmur3.ts'
import { RICH_KEY } from '../fixture/flags.ts'
import type { BenchUser } from '../fixture/users.ts'

/**
 * The floor no bucketing can beat: MurmurHash3 x86_32 over key bytes that are already encoded
 * and at hand, as a tight loop over a byte array. It does no attribute lookup, no encoding and
 * no rule logic, so "our isEnabled / this" says what the rest of evaluation costs. The loop is
 * sdk/core's own `murmur3Bytes` (one murmur3 in the tree), re-exported for the runner.
 */

export { murmur3Bytes }

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
