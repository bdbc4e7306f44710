import { describe, expect, it } from 'vitest'
import { emptyArm, type ArmCounters } from '../../../sdk/core/metrics.ts'
import { BURST_SECONDS, ClientCredit } from '../../../server/rate-limit/client-credit.ts'

const arm = (counts: Partial<ArmCounters>): ArmCounters => ({ ...emptyArm(), ...counts })

describe('a browser weighs one user', () => {
  it('caps exposures at one a second and scales the other counters in proportion', () => {
    const credit = new ClientCredit(0)
    expect(credit.take('f', arm({ exposures: 100, errors: 10 }), 5_000)).toEqual(arm({ exposures: 5, errors: 0.5 }))
    // Spent until 5 s: one more second gives one more exposure's worth.
    expect(credit.take('f', arm({ exposures: 4, errors: 4 }), 6_000)).toEqual(arm({ exposures: 1, errors: 1 }))
  })

  it('never brings more than the burst, however long it was silent', () => {
    const credit = new ClientCredit(0)
    expect(credit.take('f', arm({ exposures: 1_000 }), 3_600_000).exposures).toBe(BURST_SECONDS)
  })

  it('credits errors whose exposures were sent in an earlier batch', () => {
    const credit = new ClientCredit(0)
    expect(credit.take('f', arm({ exposures: 1 }), 1_000)).toEqual(arm({ exposures: 1 }))
    // The failure came after the flush that carried its exposure: an errors-only report.
    expect(credit.take('f', arm({ errors: 1 }), 2_000)).toEqual(arm({ errors: 1 }))
    // It spends the same allowance: at most one user's worth a second, whatever it reports.
    expect(credit.take('f', arm({ errors: 50 }), 2_500)).toEqual(arm({ errors: 0.5 }))
  })

  it('credits nothing for an empty report and keeps the allowance', () => {
    const credit = new ClientCredit(0)
    expect(credit.take('f', arm({}), 1_000)).toEqual(arm({}))
    expect(credit.take('f', arm({ exposures: 1 }), 1_000)).toEqual(arm({ exposures: 1 }))
  })
})
