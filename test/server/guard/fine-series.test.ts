import { describe, expect, it } from 'vitest'
import { FineSeries } from '../../../server/guard/fine-series.ts'

/** Arms that reported no durations (no latency rule). */
const NO_DURATIONS = { canaryTimed: 0, canarySlow: 0, controlTimed: 0, controlSlow: 0 }

const counts = (since: number, ce: number, cx: number, ke: number, kx: number) => ({
  since,
  canaryExposures: ce,
  canaryErrors: cx,
  controlExposures: ke,
  controlErrors: kx,
  ...NO_DURATIONS,
})

describe('ten-second rows from the guard figures', () => {
  it('puts the difference of cumulative readings in the bucket of the reading', () => {
    const fine = new FineSeries()
    fine.record(counts(1, 100, 1, 300, 2), 1_000_000)
    fine.record(counts(1, 150, 2, 450, 2), 1_004_000) // same bucket
    fine.record(counts(1, 200, 5, 600, 3), 1_014_000)
    expect(fine.rows(0)).toEqual([
      { minute: 1_000_000, canaryExposures: 150, canaryErrors: 2, controlExposures: 450, controlErrors: 2, ...NO_DURATIONS },
      { minute: 1_010_000, canaryExposures: 50, canaryErrors: 3, controlExposures: 150, controlErrors: 1, ...NO_DURATIONS },
    ])
  })

  it('starts afresh when the test restarts, and forgets rows older than it keeps', () => {
    const fine = new FineSeries(60_000)
    fine.record(counts(1, 100, 0, 100, 0), 0)
    fine.record(counts(2, 10, 1, 30, 0), 70_000)
    expect(fine.rows(0)).toEqual([{ minute: 70_000, canaryExposures: 10, canaryErrors: 1, controlExposures: 30, controlErrors: 0, ...NO_DURATIONS }])
  })

  it('comes back from its JSON with the same rows and goes on from the same last reading', () => {
    const fine = new FineSeries()
    fine.record(counts(1, 100, 1, 300, 2), 1_000_000)
    const back = FineSeries.from(JSON.parse(JSON.stringify(fine)))
    expect(back.rows(0)).toEqual(fine.rows(0))
    back.record(counts(1, 130, 1, 390, 2), 1_010_000)
    expect(back.rows(1_010_000)).toEqual([{ minute: 1_010_000, canaryExposures: 30, canaryErrors: 0, controlExposures: 90, controlErrors: 0, ...NO_DURATIONS }])
  })
})
