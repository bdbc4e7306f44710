import { describe, expect, it } from 'vitest'
import { compileFlag, genericReason, LIMITS } from '../../../sdk/core/index.ts'
import type { FlagState } from '../../../sdk/core/types.ts'
import { clientAddress } from '../../../server/rate-limit/client-address.ts'
import { createWindowLimiter } from '../../../server/rate-limit/window-limiter.ts'

const flag = (cohorts: FlagState['cohorts'], enabled = true): FlagState => ({
  key: 'f', enabled, salt: 'f', stickiness: 'userId', cohorts, version: 1,
})

describe('generic reasons (OpenFeature vocabulary)', () => {
  it.each([
    ['off', false, 'DISABLED'],
    ['cohort:beta', false, 'TARGETING_MATCH'],
    ['cohort:eu', true, 'SPLIT'],
    ['outside_rollout', false, 'DEFAULT'],
    ['no_match', false, 'DEFAULT'],
    ['missing_stickiness', false, 'DEFAULT'],
    ['error', false, 'ERROR'],
    ['unknown_flag', false, 'ERROR'],
  ] as const)('%s (split %s) → %s', (reason, split, expected) => {
    expect(genericReason(reason, { split })).toBe(expected)
  })

  it('a compiled flag maps a partial cohort to SPLIT and a full one to TARGETING_MATCH', () => {
    const compiled = compileFlag(
      flag([
        { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['b'] }], rollout: 100 },
        { name: 'half', conditions: [], rollout: 50 },
      ]),
      new Map(),
    )
    const answers = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const detailed = compiled.evaluate({ userId: `u${i}` })
      const generic = compiled.generic(detailed)
      expect(generic.enabled).toBe(detailed.enabled)
      answers.add(`${detailed.reason}→${generic.reason}`)
    }
    answers.add(`${compiled.evaluate({ userId: 'b' }).reason}→${compiled.generic(compiled.evaluate({ userId: 'b' })).reason}`)
    expect([...answers].sort()).toEqual(['cohort:beta→TARGETING_MATCH', 'cohort:half→SPLIT', 'outside_rollout→DEFAULT'])
    expect(compiled.generic(compileFlag(flag([], false), new Map()).evaluate({}))).toEqual({ enabled: false, reason: 'DISABLED' })
  })
})

describe('attribute length limit', () => {
  it.each(['matches', 'contains', 'starts_with', 'ends_with'] as const)('%s fails closed on a value over the limit, negated or not', (operator) => {
    const values = operator === 'matches' ? ['^a'] : ['a']
    for (const negate of [false, true]) {
      const compiled = compileFlag(flag([{ name: 'c', conditions: [{ attribute: 'name', operator, values, negate }], rollout: 100 }]), new Map())
      expect(compiled.evaluate({ name: 'a'.repeat(LIMITS.maxTextLength) }).enabled).toBe(!negate)
      expect(compiled.evaluate({ name: 'a'.repeat(LIMITS.maxTextLength + 1) })).toEqual({ enabled: false, reason: 'no_match' })
    }
  })
})

describe('rate limiting helpers', () => {
  it('allows `limit` events in any window, then says when the next one is allowed', () => {
    let now = 1_000
    const limiter = createWindowLimiter({ limit: 3, windowMs: 60_000, now: () => now })
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true])
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterMs: 60_000 })
    expect(limiter.take('b').allowed).toBe(true)
    now += 59_999
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterMs: 1 })
    now += 1
    expect(limiter.take('a').allowed).toBe(true)
  })

  it('believes X-Forwarded-For only as far as the configured proxies', () => {
    const forwardedFor = '198.51.100.1, 203.0.113.9'
    expect(clientAddress({ remoteAddress: '10.0.0.2', forwardedFor, trustedProxies: 0 })).toBe('10.0.0.2')
    expect(clientAddress({ remoteAddress: '10.0.0.2', forwardedFor, trustedProxies: 1 })).toBe('203.0.113.9')
    expect(clientAddress({ remoteAddress: '10.0.0.2', forwardedFor, trustedProxies: 2 })).toBe('198.51.100.1')
    expect(clientAddress({ remoteAddress: '10.0.0.2', forwardedFor: undefined, trustedProxies: 1 })).toBe('10.0.0.2')
  })
})
