// Contract: sdk/SPEC.md §3 (bucketing). Where this test and the spec disagree, one of them is a bug.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { bucket, isInRollout, rolloutThreshold } from '../../../sdk/core/bucket.ts'

interface Vector {
  salt: string
  value: string
  bucket: number
}

const vectorsFile = JSON.parse(
  readFileSync(new URL('../../../sdk/fixtures/bucketing.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] }

describe('bucket', () => {
  it('reproduces every row of sdk/fixtures/bucketing.json', () => {
    const vectors = vectorsFile.vectors
    expect(vectors.length).toBeGreaterThanOrEqual(1000)
    const mismatches = vectors.filter((v) => bucket(v.salt, v.value) !== v.bucket)
    expect(mismatches).toEqual([])
  })

  it('the vectors cover non-ASCII, emoji, empty and long inputs', () => {
    const values = vectorsFile.vectors.map((v) => v.value)
    expect(values).toContain('')
    expect(vectorsFile.vectors.some((v) => v.salt === '')).toBe(true)
    expect(values.some((v) => v.includes('é'))).toBe(true)
    expect(values.some((v) => v.includes('日本'))).toBe(true)
    expect(values.some((v) => /\p{Extended_Pictographic}/u.test(v))).toBe(true)
    expect(values.some((v) => v.length >= 1000)).toBe(true)
  })

  it('pins golden values of the contract', () => {
    // Hand-checked against murmurhash.v3('<salt>:<value>', 0) % 100000. If these move, every
    // user moves between cohorts: never update them to make a change pass.
    expect(bucket('checkout-v2', 'user-1')).toBe(99361)
    expect(bucket('checkout-v2', 'user-42')).toBe(40091)
    expect(bucket('checkout-v2', '')).toBe(23597)
    expect(bucket('', '')).toBe(37430)
    expect(bucket('flag', 'é')).toBe(33631)
    expect(bucket('flag', '日本')).toBe(18426)
  })

  it('hashes salt and value with a colon between them', () => {
    // 'ab' + ':' + 'c' and 'a' + ':' + 'bc' must differ, and ('a:b', 'c') equals ('a', 'b:c').
    expect(bucket('ab', 'c')).not.toBe(bucket('a', 'bc'))
    expect(bucket('a:b', 'c')).toBe(bucket('a', 'b:c'))
  })

  it('stays within [0, 100000)', () => {
    for (let i = 0; i < 10_000; i++) {
      const b = bucket('range', `user-${i}`)
      expect(b >= 0 && b < 100_000 && Number.isInteger(b)).toBe(true)
    }
  })
})

describe('rolloutThreshold', () => {
  it('maps percentages with three decimals to bucket counts', () => {
    expect(rolloutThreshold(0)).toBe(0)
    expect(rolloutThreshold(0.001)).toBe(1)
    expect(rolloutThreshold(0.145)).toBe(145)
    expect(rolloutThreshold(1)).toBe(1000)
    expect(rolloutThreshold(12.345)).toBe(12345)
    expect(rolloutThreshold(33.333)).toBe(33333)
    expect(rolloutThreshold(100)).toBe(100_000)
  })

  it('rounds half up', () => {
    expect(rolloutThreshold(0.0005)).toBe(1)
    expect(rolloutThreshold(0.0004)).toBe(0)
  })
})

describe('isInRollout', () => {
  it('includes exactly the buckets below the threshold', () => {
    // bucket('checkout-v2', 'user-42') is 40091: inside 40.092 %, outside 40.091 %.
    expect(isInRollout('checkout-v2', 'user-42', 40.092)).toBe(true)
    expect(isInRollout('checkout-v2', 'user-42', 40.091)).toBe(false)
  })

  it('includes everyone at 100 and no one at 0', () => {
    for (let i = 0; i < 1000; i++) {
      expect(isInRollout('edges', `u${i}`, 100)).toBe(true)
      expect(isInRollout('edges', `u${i}`, 0)).toBe(false)
    }
  })
})
