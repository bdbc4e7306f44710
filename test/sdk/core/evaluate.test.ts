import { describe, expect, it } from 'vitest'
import {
  RESULTS,
  armOf,
  compileFlag,
  evaluate,
  toSegmentMap,
} from '../../../sdk/core/evaluate.ts'
import type { Cohort, FlagState, Segment, User } from '../../../sdk/core/types.ts'

/*
 * Buckets used below (salt 'checkout-v2', pinned in test/vectors and bucket.test.ts):
 *   user-69233 → 0, user-189880 → 1, '42' → 17441, user-42 → 40091, user-1 → 99361
 */

function makeFlag(cohorts: Cohort[], overrides: Partial<FlagState> = {}): FlagState {
  return {
    key: 'checkout-v2',
    enabled: true,
    salt: 'checkout-v2',
    stickiness: 'userId',
    cohorts,
    version: 1,
    ...overrides,
  }
}

const beta: Cohort = {
  name: 'beta',
  conditions: [{ attribute: 'userId', operator: 'in', values: ['alice', 'bob'] }],
  rollout: 100,
}
const euCanary: Cohort = {
  name: 'eu-canary',
  conditions: [{ attribute: 'region', operator: 'in', values: ['eu'] }],
  rollout: 50,
}
const NO_SEGMENTS = new Map<string, Segment>()

describe('evaluate: flag-level answers', () => {
  it('an unknown flag gives unknown_flag', () => {
    expect(evaluate(undefined, { userId: 'alice' }, NO_SEGMENTS)).toEqual({
      enabled: false,
      reason: 'unknown_flag',
    })
  })

  it('a disabled flag gives off, whatever the cohorts say', () => {
    const flag = makeFlag([beta], { enabled: false })
    expect(evaluate(flag, { userId: 'alice' }, NO_SEGMENTS)).toEqual({
      enabled: false,
      reason: 'off',
    })
  })

  it('a flag with no cohorts gives no_match', () => {
    expect(evaluate(makeFlag([]), { userId: 'alice' }, NO_SEGMENTS)).toEqual({
      enabled: false,
      reason: 'no_match',
    })
  })

  it('names the result every user gets when the rules never look at the user (fixedResult), and only then', () => {
    const everyone: Cohort = { name: 'everyone', conditions: [], rollout: 100 }
    const users: User[] = [{}, { userId: 'alice', region: 'eu' }, { userId: 'user-1' }]
    const fixed = [makeFlag([beta], { enabled: false }), makeFlag([everyone, beta]), { key: 'broken', enabled: 'yes' } as unknown as FlagState]
    for (const state of fixed) {
      const compiled = compileFlag(state, NO_SEGMENTS)
      expect(compiled.fixedResult, state.key).toBeDefined()
      for (const user of users) expect(compiled.evaluate(user)).toBe(compiled.fixedResult)
    }
    // Each of these answers some user differently from another: nothing is fixed.
    const varying = [makeFlag([beta]), makeFlag([{ ...everyone, rollout: 50 }]), makeFlag([euCanary, everyone])]
    for (const state of varying) expect(compileFlag(state, NO_SEGMENTS).fixedResult).toBeUndefined()
  })

  it('works without a segments argument', () => {
    expect(evaluate(makeFlag([beta]), { userId: 'alice' })).toEqual({
      enabled: true,
      reason: 'cohort:beta',
    })
  })
})

describe('evaluate: cohorts and conditions', () => {
  it('a 100% cohort includes everyone meeting its conditions and names itself', () => {
    expect(evaluate(makeFlag([beta]), { userId: 'bob' }, NO_SEGMENTS)).toEqual({
      enabled: true,
      reason: 'cohort:beta',
    })
    expect(evaluate(makeFlag([beta]), { userId: 'carol' }, NO_SEGMENTS).reason).toBe('no_match')
  })

  it('conditions within a cohort are ANDed', () => {
    const cohort: Cohort = {
      name: 'eu-pro',
      conditions: [
        { attribute: 'region', operator: 'in', values: ['eu'] },
        { attribute: 'plan', operator: 'in', values: ['pro'] },
      ],
      rollout: 100,
    }
    const flag = makeFlag([cohort])
    expect(evaluate(flag, { userId: 'u', region: 'eu', plan: 'pro' }).enabled).toBe(true)
    expect(evaluate(flag, { userId: 'u', region: 'eu', plan: 'free' }).enabled).toBe(false)
    expect(evaluate(flag, { userId: 'u', region: 'us', plan: 'pro' }).enabled).toBe(false)
  })

  it('cohorts are ORed: any including cohort turns the flag on', () => {
    const flag = makeFlag([beta, { ...euCanary, rollout: 100 }])
    expect(evaluate(flag, { userId: 'alice', region: 'us' }).reason).toBe('cohort:beta')
    expect(evaluate(flag, { userId: 'zoe', region: 'eu' }).reason).toBe('cohort:eu-canary')
    expect(evaluate(flag, { userId: 'zoe', region: 'us' }).reason).toBe('no_match')
  })

  it('cohort order decides which including cohort is reported', () => {
    const everyone: Cohort = { name: 'everyone', conditions: [], rollout: 100 }
    const user = { userId: 'alice' }
    expect(evaluate(makeFlag([beta, everyone]), user).reason).toBe('cohort:beta')
    expect(evaluate(makeFlag([everyone, beta]), user).reason).toBe('cohort:everyone')
  })

  it('a cohort with no conditions is a plain percentage of everyone', () => {
    const flag = makeFlag([{ name: 'pct', conditions: [], rollout: 20 }])
    expect(evaluate(flag, { userId: '42' })).toEqual({ enabled: true, reason: 'cohort:pct' })
    expect(evaluate(flag, { userId: 'user-42' })).toEqual({
      enabled: false,
      reason: 'outside_rollout',
    })
  })

  it('a later cohort can include a user an earlier partial cohort left outside', () => {
    const flag = makeFlag([{ ...euCanary, rollout: 1 }, beta])
    expect(evaluate(flag, { userId: 'alice', region: 'eu' }).reason).toBe('cohort:beta')
  })
})

describe('evaluate: rollout and stickiness', () => {
  it('includes exactly the buckets below round(rollout * 1000)', () => {
    // user-42 has bucket 40091.
    const at = (rollout: number) =>
      evaluate(makeFlag([{ name: 'c', conditions: [], rollout }]), { userId: 'user-42' }).enabled
    expect(at(40.092)).toBe(true)
    expect(at(40.091)).toBe(false)
  })

  it('supports three decimals: 0.001% holds bucket 0 only', () => {
    const flag = makeFlag([{ name: 'tiny', conditions: [], rollout: 0.001 }])
    expect(evaluate(flag, { userId: 'user-69233' }).reason).toBe('cohort:tiny')
    expect(evaluate(flag, { userId: 'user-189880' }).reason).toBe('outside_rollout')
    const twice = makeFlag([{ name: 'tiny', conditions: [], rollout: 0.002 }])
    expect(evaluate(twice, { userId: 'user-189880' }).reason).toBe('cohort:tiny')
  })

  it('rollout 0 with conditions met gives outside_rollout', () => {
    const flag = makeFlag([{ ...euCanary, rollout: 0 }])
    expect(evaluate(flag, { userId: 'user-69233', region: 'eu' })).toEqual({
      enabled: false,
      reason: 'outside_rollout',
    })
  })

  it('a numeric stickiness value buckets like its string form', () => {
    const flag = makeFlag([{ name: 'pct', conditions: [], rollout: 20 }])
    expect(evaluate(flag, { userId: 42 })).toEqual(evaluate(flag, { userId: '42' }))
    expect(evaluate(flag, { userId: 42 }).enabled).toBe(true)
  })

  it('buckets on a custom stickiness attribute', () => {
    const flag = makeFlag([{ name: 'pct', conditions: [], rollout: 20 }], {
      stickiness: 'accountId',
    })
    expect(evaluate(flag, { userId: 'user-42', accountId: '42' }).reason).toBe('cohort:pct')
    expect(evaluate(flag, { userId: '42', accountId: 'user-42' }).reason).toBe('outside_rollout')
    expect(evaluate(flag, { userId: '42' }).reason).toBe('missing_stickiness')
  })

  it('an empty stickiness falls back to userId', () => {
    const flag = makeFlag([{ name: 'pct', conditions: [], rollout: 20 }], { stickiness: '' })
    expect(evaluate(flag, { userId: '42' }).reason).toBe('cohort:pct')
  })

  it('an empty salt falls back to the flag key', () => {
    const cohorts = [{ name: 'pct', conditions: [], rollout: 20 }]
    const emptySalt = makeFlag(cohorts, { salt: '' })
    // Salt 'checkout-v2' == key: '42' (17441) inside 20%, user-42 (40091) outside.
    expect(evaluate(emptySalt, { userId: '42' }).enabled).toBe(true)
    expect(evaluate(emptySalt, { userId: 'user-42' }).enabled).toBe(false)
  })

  it('the salt, not the key, drives bucketing', () => {
    const cohorts = [{ name: 'pct', conditions: [], rollout: 20 }]
    const a = makeFlag(cohorts, { key: 'a', salt: 'checkout-v2' })
    const b = makeFlag(cohorts, { key: 'b', salt: 'checkout-v2' })
    for (let i = 0; i < 200; i++) {
      expect(evaluate(a, { userId: `u${i}` })).toEqual(evaluate(b, { userId: `u${i}` }))
    }
  })

  it('a user missing the stickiness attribute is in no partial cohort', () => {
    const flag = makeFlag([{ name: 'pct', conditions: [], rollout: 99.999 }])
    for (const userId of [undefined, null, '', true, { id: 1 }, Number.NaN]) {
      expect(evaluate(flag, { userId }), String(userId)).toEqual({
        enabled: false,
        reason: 'missing_stickiness',
      })
    }
  })

  it('a 100% cohort needs no stickiness attribute', () => {
    const flag = makeFlag([{ name: 'all', conditions: [], rollout: 100 }])
    expect(evaluate(flag, { region: 'eu' })).toEqual({ enabled: true, reason: 'cohort:all' })
  })

  it('reports outside_rollout, missing_stickiness or no_match after all cohorts are tried', () => {
    const twoPartial = makeFlag([
      { ...euCanary, rollout: 10 },
      { name: 'pct', conditions: [], rollout: 10 },
    ])
    // user-42 (40091) is outside both 10% cohorts.
    expect(evaluate(twoPartial, { userId: 'user-42', region: 'eu' }).reason).toBe('outside_rollout')
    expect(evaluate(twoPartial, { region: 'eu' }).reason).toBe('missing_stickiness')
    const regionOnly = makeFlag([{ ...euCanary, rollout: 10 }])
    expect(evaluate(regionOnly, { region: 'us' }).reason).toBe('no_match')
  })

  it('missing_stickiness only when some cohort conditions held', () => {
    const flag = makeFlag([{ ...euCanary, rollout: 10 }])
    expect(evaluate(flag, { region: 'us' }).reason).toBe('no_match')
    expect(evaluate(flag, { region: 'eu' }).reason).toBe('missing_stickiness')
  })
})

describe('evaluate: segments', () => {
  const segments = toSegmentMap([
    { key: 'staff', userIds: ['alice'], conditions: [], version: 1 },
    {
      key: 'eu-users',
      userIds: [],
      conditions: [{ attribute: 'region', operator: 'in', values: ['eu'] }],
      version: 3,
    },
  ])

  it('a segment condition includes listed users and users matching the segment conditions', () => {
    const flag = makeFlag([
      { name: 'staff', conditions: [{ segment: 'staff' }], rollout: 100 },
      { name: 'eu', conditions: [{ segment: 'eu-users' }], rollout: 100 },
    ])
    expect(evaluate(flag, { userId: 'alice' }, segments).reason).toBe('cohort:staff')
    expect(evaluate(flag, { userId: 'zoe', region: 'eu' }, segments).reason).toBe('cohort:eu')
    expect(evaluate(flag, { userId: 'zoe', region: 'us' }, segments).reason).toBe('no_match')
  })

  it('a negated segment condition excludes its members', () => {
    const flag = makeFlag([
      { name: 'not-staff', conditions: [{ segment: 'staff', negate: true }], rollout: 100 },
    ])
    expect(evaluate(flag, { userId: 'alice' }, segments).enabled).toBe(false)
    expect(evaluate(flag, { userId: 'zoe' }, segments).enabled).toBe(true)
  })

  it('an unknown segment fails closed, negated or not', () => {
    const flag = makeFlag([
      { name: 'ghost', conditions: [{ segment: 'ghosts' }], rollout: 100 },
      { name: 'not-ghost', conditions: [{ segment: 'ghosts', negate: true }], rollout: 100 },
    ])
    expect(evaluate(flag, { userId: 'alice' }, segments)).toEqual({
      enabled: false,
      reason: 'no_match',
    })
  })
})

describe('evaluate: malformed input never throws', () => {
  const user = { userId: 'alice' }
  const error = { enabled: false, reason: 'error' }
  const malformed: Array<[string, unknown]> = [
    ['null state', null],
    ['a string state', 'checkout-v2'],
    ['cohorts not an array', { ...makeFlag([]), cohorts: { beta } }],
    ['rollout not a number', makeFlag([{ ...beta, rollout: '50' as unknown as number }])],
    ['rollout NaN', makeFlag([{ ...beta, rollout: Number.NaN }])],
    ['rollout above 100', makeFlag([{ ...beta, rollout: 101 }])],
    ['rollout negative', makeFlag([{ ...beta, rollout: -1 }])],
    ['a null cohort', makeFlag([null as unknown as Cohort])],
    ['conditions not an array', makeFlag([{ ...beta, conditions: null as unknown as [] }])],
    ['enabled not a boolean', { ...makeFlag([beta]), enabled: 'yes' }],
    ['salt not a string', { ...makeFlag([beta]), salt: 7 }],
    [
      'a throwing getter',
      Object.defineProperty(makeFlag([]), 'cohorts', {
        get() {
          throw new Error('boom')
        },
      }),
    ],
  ]

  it.each(malformed)('%s gives error', (_name, state) => {
    expect(evaluate(state as FlagState, user)).toEqual(error)
  })

  it('compileFlag keeps the reason a state was rejected', () => {
    const flag = compileFlag(makeFlag([{ ...beta, rollout: 250 }]), NO_SEGMENTS)
    expect(flag.problem).toMatch(/cohort beta: rollout must be a number in \[0, 100\]/)
    expect(flag.evaluate(user)).toEqual(error)
    expect(compileFlag(makeFlag([beta]), NO_SEGMENTS).problem).toBeUndefined()
  })

  it('a malformed but disabled flag still reports error, not off', () => {
    const flag = makeFlag([{ ...beta, rollout: Number.NaN }], { enabled: false })
    expect(evaluate(flag, user)).toEqual(error)
  })

  it('a null or non-object user gives error', () => {
    const flag = makeFlag([beta])
    expect(evaluate(flag, null as unknown as User)).toEqual(error)
    expect(evaluate(flag, 'alice' as unknown as User)).toEqual(error)
  })

  it('a user attribute getter that throws gives error', () => {
    const user = Object.defineProperty({}, 'userId', {
      enumerable: true,
      get() {
        throw new Error('boom')
      },
    })
    expect(evaluate(makeFlag([beta]), user)).toEqual(error)
  })

  it('a segment with malformed userIds gives error', () => {
    const malformed = { key: 's', userIds: 5, conditions: [], version: 1 } as unknown as Segment
    const bad = new Map([['s', malformed]])
    const flag = makeFlag([{ name: 's', conditions: [{ segment: 's' }], rollout: 100 }])
    expect(evaluate(flag, user, bad)).toEqual(error)
  })

  it('an unknown operator makes its condition false but leaves other cohorts working', () => {
    const future: Cohort = {
      name: 'future',
      conditions: [{ attribute: 'userId', operator: 'fuzzy' as 'in', values: ['alice'] }],
      rollout: 100,
    }
    expect(evaluate(makeFlag([future]), user).reason).toBe('no_match')
    expect(evaluate(makeFlag([future, beta]), user).reason).toBe('cohort:beta')
  })
})

describe('compileFlag', () => {
  it('returns shared frozen results, allocating nothing per evaluation', () => {
    const flag = compileFlag(makeFlag([beta, { ...euCanary, rollout: 10 }]), NO_SEGMENTS)
    const first = flag.evaluate({ userId: 'alice' })
    expect(flag.evaluate({ userId: 'bob' })).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(flag.evaluate({ userId: 'zoe', region: 'us' })).toBe(RESULTS.noMatch)
    expect(flag.evaluate({ userId: 'user-42', region: 'eu' })).toBe(RESULTS.outsideRollout)
  })

  it('is not affected by later mutation of the state it compiled', () => {
    const state = makeFlag([structuredClone(beta)])
    const flag = compileFlag(state, NO_SEGMENTS)
    ;(state.cohorts[0]?.conditions[0] as { values: string[] }).values.push('zoe')
    state.enabled = false
    expect(flag.evaluate({ userId: 'zoe' }).reason).toBe('no_match')
    expect(flag.evaluate({ userId: 'alice' }).reason).toBe('cohort:beta')
  })

  it('exposes the flag key', () => {
    expect(compileFlag(makeFlag([]), NO_SEGMENTS).key).toBe('checkout-v2')
  })
})

describe('armOf', () => {
  it('maps results to guard arms', () => {
    expect(armOf({ enabled: true, reason: 'cohort:beta' })).toBe('canary')
    expect(armOf(RESULTS.outsideRollout)).toBe('control')
    for (const result of [
      RESULTS.off,
      RESULTS.noMatch,
      RESULTS.missingStickiness,
      RESULTS.unknownFlag,
      RESULTS.error,
    ]) {
      expect(armOf(result)).toBe('none')
    }
  })
})

describe('a first cohort of everyone at 100%', () => {
  const plain: FlagState = {
    key: 'plain',
    enabled: true,
    salt: 'plain',
    stickiness: 'userId',
    cohorts: [
      { name: 'everyone', conditions: [], rollout: 100 },
      { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice'] }], rollout: 100 },
    ],
    version: 1,
  }

  it('answers every user with that cohort, and a non-object user with error', () => {
    const flag = compileFlag(plain, new Map())
    expect(flag.evaluate({ userId: 'alice' })).toEqual({ enabled: true, reason: 'cohort:everyone' })
    expect(flag.evaluate({})).toEqual({ enabled: true, reason: 'cohort:everyone' })
    expect(flag.evaluate(null as unknown as User)).toEqual({ enabled: false, reason: 'error' })
  })

  it('is still off when the flag is off', () => {
    expect(compileFlag({ ...plain, enabled: false }, new Map()).evaluate({ userId: 'a' }).reason).toBe('off')
  })
})
