import { describe, expect, it } from 'vitest'
import { createFineSeries } from '../../../server/routes/fine-series.ts'

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
    let now = 1_000_000
    const fine = createFineSeries({ now: () => now })
    fine.record('p', 'f', counts(1, 100, 1, 300, 2))
    now += 4_000 // same bucket
    fine.record('p', 'f', counts(1, 150, 2, 450, 2))
    now += 10_000
    fine.record('p', 'f', counts(1, 200, 5, 600, 3))
    expect(fine.rows('p', 'f', 0)).toEqual([
      { minute: 1_000_000, canaryExposures: 150, canaryErrors: 2, controlExposures: 450, controlErrors: 2, ...NO_DURATIONS },
      { minute: 1_010_000, canaryExposures: 50, canaryErrors: 3, controlExposures: 150, controlErrors: 1, ...NO_DURATIONS },
    ])
  })

  it('starts afresh when the test restarts, and forgets rows older than it keeps', () => {
    let now = 0
    const fine = createFineSeries({ now: () => now, keepMs: 60_000 })
    fine.record('p', 'f', counts(1, 100, 0, 100, 0))
    now = 70_000
    fine.record('p', 'f', counts(2, 10, 1, 30, 0))
    expect(fine.rows('p', 'f', 0)).toEqual([{ minute: 70_000, canaryExposures: 10, canaryErrors: 1, controlExposures: 30, controlErrors: 0, ...NO_DURATIONS }])
    expect(fine.rows('p', 'other', 0)).toEqual([])
  })
})
