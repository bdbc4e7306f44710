import { describe, expect, it } from 'vitest'
import { StoredDataError } from '../../server/errors.ts'
import { toChange, toState, type StateRowFields } from '../../server/store/rows.ts'

const row = (fields: Partial<StateRowFields>): StateRowFields => ({
  flagKey: 'checkout-v2',
  envKey: 'production',
  enabled: true,
  salt: 'checkout-v2',
  stickiness: 'userId',
  cohorts: [],
  guard: null,
  plan: null,
  version: 3,
  updatedAt: 0,
  ...fields,
})

describe('the rows mapper parses stored guard and plan JSON', () => {
  it('reads a stored guard and plan back as typed values, and absent ones as null', () => {
    const guard = { maxErrorRate: 0.05, lastTrip: null }
    const plan = { cohort: 'all', steps: [5, 25], intervalSeconds: 60, step: 0, status: 'active', nextAt: 1, note: null, startedAt: 0 }
    expect(toState(row({ guard, plan }), false)).toMatchObject({ guard, plan })
    expect(toState(row({ guard: undefined, plan: undefined }), false)).toMatchObject({ guard: null, plan: null })
  })

  it('refuses a stored guard that is not one with a StoredDataError naming the state and the field', () => {
    const read = () => toState(row({ guard: { maxErrorRate: 'high' } }), false)
    expect(read).toThrow(StoredDataError)
    expect(read).toThrow(/stored guard of flag checkout-v2 in production is not valid \(maxErrorRate: /)
  })

  it('refuses a stored plan that is not one', () => {
    expect(() => toState(row({ plan: { steps: [1, 5], intervalMs: 60_000, cohort: 'all' } }), false)).toThrow(
      /stored plan of flag checkout-v2 in production is not valid/,
    )
  })
})

describe('the rows mapper parses the change log', () => {
  it('reads a stored change back as it was written', () => {
    const flag = { key: 'checkout-v2', enabled: true, salt: 'checkout-v2', stickiness: 'userId', cohorts: [{ name: 'all', conditions: [], rollout: 5 }], version: 4 }
    for (const change of [{ type: 'flag', version: 4, flag }, { type: 'flag_deleted', version: 5, key: 'checkout-v2' }])
      expect(toChange('production', { version: change.version, change: JSON.parse(JSON.stringify(change)) })).toEqual(change)
  })

  it('refuses a stored change that is not one with a StoredDataError naming the row and the field', () => {
    const read = () => toChange('production', { version: 7, change: { type: 'flag', version: 7, flag: { key: 'checkout-v2' } } })
    expect(read).toThrow(StoredDataError)
    expect(read).toThrow(/stored change 7 of environment production is not valid \(flag\.enabled: /)
  })
})
