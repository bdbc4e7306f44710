import { describe, expect, it } from 'vitest'
import { bucket } from '../../../sdk/core/bucket.ts'
import { compileFlag, evaluate, RESULTS } from '../../../sdk/core/evaluate.ts'
import type { Cohort, FlagState, Segment, User } from '../../../sdk/core/types.ts'

/**
 * Details the mutation run (npm run test:mutation) showed unpinned: the problem of each kind of
 * malformed state, the version and key it keeps, the salt and stickiness defaults, `toState`,
 * `generic`, numeric stickiness values, and cohorts of different flags never sharing answers.
 */
const NO_SEGMENTS = new Map<string, Segment>()
const state = (overrides: Record<string, unknown> = {}, cohorts: unknown[] = []): FlagState =>
  ({ key: 'f', enabled: true, salt: 'f', stickiness: 'userId', cohorts, version: 4, ...overrides }) as FlagState
const everyone = (rollout: number, name = 'all'): Cohort => ({ name, conditions: [], rollout })

describe('malformed states', () => {
  it('say what is wrong, keep the key and version they can read, and answer error', () => {
    const cases: Array<[unknown, string, string, number]> = [
      [null, '', 'state is not an object', 0],
      ['f', '', 'state is not an object', 0],
      [state({ key: 1 }), '', 'key must be a string', 4],
      [state({ enabled: 'yes' }), 'f', 'enabled must be a boolean', 4],
      [state({ salt: 3 }), 'f', 'salt not a string', 4],
      [state({ stickiness: 3 }), 'f', 'stickiness must be a string', 4],
      [state({ cohorts: {} }), 'f', 'cohorts must be an array', 4],
      [state({}, [null]), 'f', 'cohort 0 is not an object', 4],
      [state({}, [everyone(100), { name: 2, conditions: [], rollout: 1 }]), 'f', 'cohort 1: name must be a string', 4],
      [state({}, [{ name: 'b', conditions: {}, rollout: 1 }]), 'f', 'cohort b: conditions not an array', 4],
      [state({}, [{ name: 'b', conditions: [], rollout: '5' }]), 'f', 'cohort b: rollout must be a number in [0, 100]', 4],
      [state({}, [{ name: 'b', conditions: [], rollout: -1 }]), 'f', 'cohort b: rollout must be a number in [0, 100]', 4],
      [state({}, [{ name: 'b', conditions: [], rollout: 100.5 }]), 'f', 'cohort b: rollout must be a number in [0, 100]', 4],
      [state({ enabled: false, version: 'x' }, [null]), 'f', 'cohort 0 is not an object', 0],
    ]
    for (const [raw, key, problem, version] of cases) {
      const flag = compileFlag(raw as FlagState, NO_SEGMENTS)
      expect({ key: flag.key, problem: flag.problem, version: flag.version }, JSON.stringify(raw)).toEqual({ key, problem, version })
      expect(flag.evaluate({ userId: 'u' })).toBe(RESULTS.error)
      expect(flag.toState()).toBe(raw ?? null)
      expect(flag.generic(flag.evaluate({ userId: 'u' }))).toEqual({ enabled: false, reason: 'ERROR' })
    }
    expect(compileFlag(undefined as unknown as FlagState, NO_SEGMENTS).toState()).toBeNull()
    // Rollouts at the ends of [0, 100] are fine.
    expect(compileFlag(state({}, [everyone(0, 'a'), everyone(100, 'b')]), NO_SEGMENTS).problem).toBeUndefined()
  })

  it('a throwing getter anywhere becomes a problem, never a throw', () => {
    const throwingKey = Object.defineProperty({}, 'key', { get: () => { throw new Error('no key') } })
    const a = compileFlag(throwingKey as FlagState, NO_SEGMENTS)
    expect({ key: a.key, problem: a.problem, version: a.version }).toEqual({ key: '', problem: 'no key', version: 0 })
    const throwingCohorts = Object.defineProperty(state(), 'cohorts', { get: () => { throw new Error('no cohorts') } })
    const b = compileFlag(throwingCohorts, NO_SEGMENTS)
    expect({ key: b.key, problem: b.problem, version: b.version }).toEqual({ key: 'f', problem: 'no cohorts', version: 4 })
    const throwingVersion = Object.defineProperty(state({}, [null]), 'version', { get: () => { throw new Error('no version') } })
    const c = compileFlag(throwingVersion, NO_SEGMENTS)
    expect({ key: c.key, problem: c.problem, version: c.version }).toEqual({ key: 'f', problem: 'cohort 0 is not an object', version: 0 })
    const throwingString = Object.defineProperty(state(), 'cohorts', { get: () => { throw 'plain' } })
    expect(compileFlag(throwingString, NO_SEGMENTS).problem).toBe('plain')
  })
})

describe('well-formed states', () => {
  it('default the salt to the key and the stickiness to userId, as toState shows', () => {
    for (const [salt, stickiness] of [[undefined, undefined], ['', ''], ['f', 'userId']]) {
      const flag = compileFlag(state({ salt, stickiness }, [everyone(50)]), NO_SEGMENTS)
      expect(flag.toState()).toEqual({ key: 'f', enabled: true, salt: 'f', stickiness: 'userId', cohorts: [everyone(50)], version: 4 })
      // The key is the salt: the bucket of "f" decides.
      const inside = bucket('f', 'u-1') < 50_000
      expect(flag.evaluate({ userId: 'u-1' }).enabled).toBe(inside)
    }
    const custom = compileFlag(state({ salt: 's2', stickiness: 'accountId', clientSide: false }, [everyone(50)]), NO_SEGMENTS)
    expect(custom.toState()).toEqual({ key: 'f', enabled: true, salt: 's2', stickiness: 'accountId', cohorts: [everyone(50)], version: 4, clientSide: false })
    expect(compileFlag(state({ clientSide: true, enabled: false }), NO_SEGMENTS).toState()).toMatchObject({ enabled: false, clientSide: true })
    expect(compileFlag(state({ clientSide: 'yes' }), NO_SEGMENTS).toState()).not.toHaveProperty('clientSide')
    // Hashes the stickiness attribute with the salt.
    for (let i = 0; i < 50; i++) {
      const id = `acc-${i}`
      expect(custom.evaluate({ userId: 'same', accountId: id }).enabled).toBe(bucket('s2', id) < 50_000)
    }
    expect(custom.evaluate({ userId: 'u-1' })).toBe(RESULTS.missingStickiness)
  })

  it('hashes a numeric stickiness value as its string, and treats empty, boolean or non-finite ones as missing', () => {
    const flag = compileFlag(state({}, [everyone(50)]), NO_SEGMENTS)
    let agreed = 0
    for (let i = 0; i < 200; i++) {
      const expected = bucket('f', String(i)) < 50_000
      expect(flag.evaluate({ userId: i } as unknown as User)).toEqual(flag.evaluate({ userId: String(i) }))
      expect(flag.evaluate({ userId: String(i) }).enabled).toBe(expected)
      if (expected) agreed++
    }
    expect(agreed).toBeGreaterThan(50)
    for (const userId of ['', true, Number.NaN, Number.POSITIVE_INFINITY, null, {}])
      expect(flag.evaluate({ userId } as unknown as User), String(userId)).toBe(RESULTS.missingStickiness)
  })

  it('generic: SPLIT for a partial cohort, TARGETING_MATCH for a full one, for the cohort that answered', () => {
    const flag = compileFlag(
      state({}, [
        { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice'] }], rollout: 100 },
        { name: 'half', conditions: [], rollout: 50 },
      ]),
      NO_SEGMENTS,
    )
    expect(flag.generic(flag.evaluate({ userId: 'alice' }))).toEqual({ enabled: true, reason: 'TARGETING_MATCH' })
    const someone = Array.from({ length: 100 }, (_, i) => `u-${i}`).find((id) => bucket('f', id) < 50_000)!
    const answer = flag.evaluate({ userId: someone })
    expect(answer).toEqual({ enabled: true, reason: 'cohort:half' })
    expect(flag.generic(answer)).toEqual({ enabled: true, reason: 'SPLIT' })
    // An equal result that is not this flag's own object is read by its reason alone.
    expect(flag.generic({ enabled: true, reason: 'cohort:half' })).toEqual({ enabled: true, reason: 'TARGETING_MATCH' })
    expect(flag.generic(RESULTS.outsideRollout)).toEqual({ enabled: false, reason: 'DEFAULT' })
    const everyoneFlag = compileFlag(state({}, [everyone(100, 'all')]), NO_SEGMENTS)
    expect(everyoneFlag.generic(everyoneFlag.evaluate({ userId: 'x' }))).toEqual({ enabled: true, reason: 'TARGETING_MATCH' })
    expect(everyoneFlag.evaluate(null as unknown as User)).toBe(RESULTS.error)
    const off = compileFlag(state({ enabled: false }, [everyone(100)]), NO_SEGMENTS)
    expect(off.generic(off.evaluate({ userId: 'x' }))).toEqual({ enabled: false, reason: 'DISABLED' })
  })

  it('cohorts with the same position, name and rollout but other conditions are not shared between flags', () => {
    const cohort = (region: string): Cohort => ({ name: 'c', conditions: [{ attribute: 'region', operator: 'in', values: [region] }], rollout: 100 })
    const two = (a: string, b: string): Cohort[] => [cohort(a), { ...cohort(b), conditions: [...cohort(b).conditions, { attribute: 'plan', operator: 'exists', values: [] }] }]
    const eu = compileFlag(state({}, two('eu', 'eu')), NO_SEGMENTS)
    const us = compileFlag(state({}, two('us', 'us')), NO_SEGMENTS)
    expect(eu.evaluate({ userId: 'u', region: 'eu' }).enabled).toBe(true)
    expect(us.evaluate({ userId: 'u', region: 'eu' }).enabled).toBe(false)
    expect(us.evaluate({ userId: 'u', region: 'us' }).enabled).toBe(true)
    // Cohorts of several conditions: all must hold.
    const multi = compileFlag(state({}, [{ name: 'm', conditions: [{ attribute: 'region', operator: 'in', values: ['eu'] }, { attribute: 'plan', operator: 'in', values: ['pro'] }], rollout: 100 }]), NO_SEGMENTS)
    expect(multi.evaluate({ userId: 'u', region: 'eu', plan: 'pro' }).enabled).toBe(true)
    expect(multi.evaluate({ userId: 'u', region: 'eu', plan: 'free' }).enabled).toBe(false)
    expect(multi.evaluate({ userId: 'u', region: 'us', plan: 'pro' }).enabled).toBe(false)
    expect(evaluate(state({}, [everyone(100)]), { userId: 'u' }, NO_SEGMENTS)).toEqual({ enabled: true, reason: 'cohort:all' })
  })
})
