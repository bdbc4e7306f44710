import { describe, expect, it } from 'vitest'
import { StoredDataError } from '../../server/errors.ts'
import { toState, type StateRowFields } from '../../server/store/rows.ts'

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
