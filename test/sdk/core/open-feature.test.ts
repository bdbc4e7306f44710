import { describe, expect, it } from 'vitest'
import { GENERIC_REASONS, GENERIC_RESULTS, genericReason, genericResult } from '../../../sdk/core/generic-reason.ts'
import { isFailure, openFeatureResolution, userFromContext } from '../../../sdk/core/open-feature.ts'
import type { Reason } from '../../../sdk/core/types.ts'

/** OpenFeature's reading of an answer, shared by the OFREP routes and the providers (tested over HTTP there). */
describe('genericReason and genericResult', () => {
  it('maps every detailed reason to its generic one', () => {
    const cases: Array<[Reason, boolean, string]> = [
      ['cohort:beta', false, 'TARGETING_MATCH'],
      ['cohort:beta', true, 'SPLIT'],
      ['off', true, 'DISABLED'],
      ['outside_rollout', true, 'DEFAULT'],
      ['no_match', false, 'DEFAULT'],
      ['missing_stickiness', false, 'DEFAULT'],
      ['unknown_flag', false, 'ERROR'],
      ['error', false, 'ERROR'],
      ['cohort' as Reason, false, 'ERROR'],
      ['toString' as Reason, false, 'ERROR'],
      ...GENERIC_REASONS.map((r): [Reason, boolean, string] => [r, true, r]),
    ]
    for (const [reason, split, generic] of cases) expect(genericReason(reason, { split }), `${reason} ${split}`).toBe(generic)
    expect(GENERIC_REASONS).toEqual(['TARGETING_MATCH', 'SPLIT', 'DEFAULT', 'DISABLED', 'ERROR'])
  })

  it('returns the shared frozen results, and ERROR for an answer that contradicts its reason', () => {
    expect(GENERIC_RESULTS).toEqual({
      targetingMatch: { enabled: true, reason: 'TARGETING_MATCH' },
      split: { enabled: true, reason: 'SPLIT' },
      default: { enabled: false, reason: 'DEFAULT' },
      disabled: { enabled: false, reason: 'DISABLED' },
      error: { enabled: false, reason: 'ERROR' },
    })
    for (const result of Object.values(GENERIC_RESULTS)) expect(Object.isFrozen(result)).toBe(true)
    expect(Object.isFrozen(GENERIC_RESULTS)).toBe(true)
    const split = { split: true }
    const whole = { split: false }
    expect(genericResult({ enabled: true, reason: 'cohort:a' }, whole)).toBe(GENERIC_RESULTS.targetingMatch)
    expect(genericResult({ enabled: false, reason: 'cohort:a' }, whole)).toBe(GENERIC_RESULTS.error)
    expect(genericResult({ enabled: true, reason: 'cohort:a' }, split)).toBe(GENERIC_RESULTS.split)
    expect(genericResult({ enabled: false, reason: 'cohort:a' }, split)).toBe(GENERIC_RESULTS.error)
    expect(genericResult({ enabled: false, reason: 'outside_rollout' }, split)).toBe(GENERIC_RESULTS.default)
    expect(genericResult({ enabled: false, reason: 'off' }, whole)).toBe(GENERIC_RESULTS.disabled)
    expect(genericResult({ enabled: false, reason: 'error' }, whole)).toBe(GENERIC_RESULTS.error)
    expect(genericResult({ enabled: false, reason: 'unknown_flag' }, whole)).toBe(GENERIC_RESULTS.error)
  })
})

describe('openFeatureResolution', () => {
  const withKey = { hasTargetingKey: true }
  const withoutKey = { hasTargetingKey: false }

  it('reads answers as value, generic reason and variant', () => {
    expect(openFeatureResolution({ enabled: true, reason: 'cohort:beta' }, withKey)).toEqual({ value: true, reason: 'TARGETING_MATCH', variant: 'on' })
    expect(openFeatureResolution({ enabled: true, reason: 'cohort:eu', generic: 'SPLIT' }, withKey)).toEqual({ value: true, reason: 'SPLIT', variant: 'on' })
    expect(openFeatureResolution({ enabled: false, reason: 'off' }, withoutKey)).toEqual({ value: false, reason: 'DISABLED', variant: 'off' })
    expect(openFeatureResolution({ enabled: false, reason: 'outside_rollout' }, withKey)).toEqual({ value: false, reason: 'DEFAULT', variant: 'off' })
    // With a targeting key but without the flag's own stickiness attribute: outside, not an error.
    expect(openFeatureResolution({ enabled: false, reason: 'missing_stickiness' }, withKey)).toEqual({ value: false, reason: 'DEFAULT', variant: 'off' })
    expect(isFailure({ value: false, reason: 'DEFAULT', variant: 'off' })).toBe(false)
  })

  it('turns missing state, unknown flags, missing targeting keys and broken flags into error codes', () => {
    const failures = [
      [{ enabled: false, reason: 'not_ready' }, withKey, 'PROVIDER_NOT_READY', 'no flag state yet'],
      [{ enabled: false, reason: 'unknown_flag' }, withKey, 'FLAG_NOT_FOUND', 'flag not found'],
      [{ enabled: false, reason: 'missing_stickiness' }, withoutKey, 'TARGETING_KEY_MISSING', 'this flag splits users by targeting key; the context has none'],
      [{ enabled: false, reason: 'error' }, withKey, 'PARSE_ERROR', 'the flag configuration could not be evaluated'],
      [{ enabled: false, reason: 'no_match', generic: 'ERROR' }, withKey, 'PARSE_ERROR', 'the flag configuration could not be evaluated'],
    ] as const
    for (const [answer, options, errorCode, errorMessage] of failures) {
      const resolution = openFeatureResolution(answer, options)
      expect(resolution, answer.reason).toEqual({ errorCode, errorMessage })
      expect(isFailure(resolution)).toBe(true)
    }
  })
})

describe('userFromContext', () => {
  it('makes the targeting key the userId and every other field an attribute, dates as ISO strings', () => {
    const at = new Date('2024-03-01T10:00:00.000Z')
    expect(userFromContext({ targetingKey: 'u-1', region: 'eu', signedUp: at, n: 3 })).toEqual({
      user: { userId: 'u-1', region: 'eu', signedUp: '2024-03-01T10:00:00.000Z', n: 3 },
      hasTargetingKey: true,
    })
  })

  it('keeps a userId attribute as the identity when there is no targeting key, and none otherwise', () => {
    expect(userFromContext({ userId: 'u-2' })).toEqual({ user: { userId: 'u-2' }, hasTargetingKey: true })
    expect(userFromContext({ targetingKey: 'u-1', userId: 'u-2' })).toEqual({ user: { userId: 'u-1' }, hasTargetingKey: true })
    expect(userFromContext({ targetingKey: '', region: 'eu' })).toEqual({ user: { region: 'eu' }, hasTargetingKey: false })
    expect(userFromContext({ targetingKey: 7 })).toEqual({ user: {}, hasTargetingKey: false })
    expect(userFromContext({ userId: '' })).toEqual({ user: { userId: '' }, hasTargetingKey: false })
    expect(userFromContext({})).toEqual({ user: {}, hasTargetingKey: false })
  })
})
