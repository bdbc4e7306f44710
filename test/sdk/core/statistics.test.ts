import { describe, expect, it } from 'vitest'
import { compileFlag } from '../../../sdk/core/evaluate.ts'
import type { FlagState } from '../../../sdk/core/types.ts'

/**
 * Distribution properties of bucketing that the product promises (PRODUCT.md): a percentage
 * means that share of users, widening keeps everyone already in, and two flags pick their
 * first users independently.
 */

const USERS = 100_000
const userIds = Array.from({ length: USERS }, (_, i) => `user-${i}`)
const segments = new Map()

function percentageFlag(salt: string, rollout: number): FlagState {
  return {
    key: salt,
    enabled: true,
    salt,
    stickiness: 'userId',
    cohorts: [{ name: 'pct', conditions: [], rollout }],
    version: 1,
  }
}

/** Indexes of the users the flag is on for. */
function included(salt: string, rollout: number): Set<number> {
  const flag = compileFlag(percentageFlag(salt, rollout), segments)
  const inside = new Set<number>()
  userIds.forEach((userId, i) => {
    if (flag.evaluate({ userId }).enabled) inside.add(i)
  })
  return inside
}

describe('rollout statistics over 100,000 users', () => {
  it('a 10% rollout includes 10% of users within 0.5 points', () => {
    const share = (included('checkout-v2', 10).size / USERS) * 100
    expect(share).toBeGreaterThan(9.5)
    expect(share).toBeLessThan(10.5)
  })

  it('a 1% rollout includes 1% of users within 0.2 points', () => {
    const share = (included('search.ranking', 1).size / USERS) * 100
    expect(Math.abs(share - 1)).toBeLessThan(0.2)
  })

  it.each([
    [0.5, 1],
    [1, 5],
    [5, 25],
    [25, 100],
  ])('widening from %d%% to %d%% keeps every user already inside', (from, to) => {
    const before = included('checkout-v2', from)
    const after = included('checkout-v2', to)
    const dropped = [...before].filter((i) => !after.has(i))
    expect(before.size).toBeGreaterThan(0)
    expect(dropped).toEqual([])
    expect(after.size).toBeGreaterThan(before.size)
  })

  it("two flags' 10% cohorts overlap in about 1% of users (independent salts)", () => {
    const a = included('checkout-v2', 10)
    const b = included('search.ranking', 10)
    const overlap = ([...a].filter((i) => b.has(i)).length / USERS) * 100
    expect(overlap).toBeGreaterThan(0.8)
    expect(overlap).toBeLessThan(1.2)
  })

  it('buckets are spread evenly across ten deciles', () => {
    // Each 10-point band holds 10% ± 0.5 points.
    const bands = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) => included('even', p).size)
    bands.forEach((size, i) => {
      const band = size - (i === 0 ? 0 : (bands[i - 1] as number))
      expect(Math.abs((band / USERS) * 100 - 10), `decile ${i}`).toBeLessThan(0.5)
    })
  })
})
