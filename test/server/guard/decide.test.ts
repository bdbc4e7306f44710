import { describe, expect, it } from 'vitest'
import { decide, type GuardSettings } from '../../../server/guard/decide.ts'
import { rateRatioLowerBound, wilson } from '../../../server/guard/stats.ts'
import { SlidingWindow } from '../../../server/guard/window.ts'
import { failures, seededRandom } from '../../helpers/random.ts'

const limit5: GuardSettings = { maxErrorRate: 0.05, minExposures: 500, windowSeconds: 60 }
const totals = (n: number, x: number, m = 0, y = 0) => ({
  canaryExposures: n,
  canaryErrors: x,
  controlExposures: m,
  controlErrors: y,
})

describe('wilson score bounds', () => {
  it('matches reference values', () => {
    // Reference: one-sided 95% Wilson bounds (z = 1.645), computed independently in Python.
    expect(wilson(3, 10).lower).toBeCloseTo(0.1269, 3)
    expect(wilson(3, 10).upper).toBeCloseTo(0.5583, 3)
    expect(wilson(0, 100).lower).toBe(0)
    expect(wilson(0, 100).upper).toBeCloseTo(0.0263, 3)
    expect(wilson(100, 1000).lower).toBeCloseTo(0.0855, 3)
  })

  it('gives the whole range with no data', () => {
    expect(wilson(0, 0)).toEqual({ lower: 0, upper: 1 })
  })
})

describe('rate ratio lower bound', () => {
  it('is above 2 for 4% against 1% with 5,000 exposures each, and below 1 for equal rates', () => {
    const c = { errors: 200, exposures: 5000 }
    expect(rateRatioLowerBound(c, { errors: 50, exposures: 5000 })).toBeGreaterThan(2)
    expect(rateRatioLowerBound(c, { errors: 200, exposures: 5000 })).toBeLessThan(1)
  })
})

describe('guard decision', () => {
  it('trips a canary failing 20% of the time against a 5% limit', () => {
    const d = decide(limit5, totals(500, failures(500, 0.2, seededRandom(1))))
    expect(d).toMatchObject({ status: 'trip', rule: 'max_error_rate', limit: 0.05 })
    if (d.status === 'trip') expect(d.figures.canaryLower).toBeGreaterThan(0.05)
  })

  it('does not trip on 3 errors in 10 exposures: not enough evidence', () => {
    expect(decide(limit5, totals(10, 3)).status).toBe('insufficient_data')
  })

  it('never trips a healthy 1% canary against a 5% limit across 200 seeded windows', () => {
    let trips = 0
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed)
      const n = 500 + Math.floor(random() * 2000)
      if (decide(limit5, totals(n, failures(n, 0.01, random))).status === 'trip') trips++
    }
    expect(trips).toBe(0)
  })

  it('measures the false-trip rate of a canary right at its limit as at most 5%', () => {
    // At exactly the limit the one-sided test should fire on no more than ~5% of windows.
    let trips = 0
    for (let seed = 1; seed <= 400; seed++) {
      const random = seededRandom(seed)
      if (decide(limit5, totals(1000, failures(1000, 0.05, random))).status === 'trip') trips++
    }
    expect(trips / 400).toBeLessThanOrEqual(0.06)
  })

  it('trips on the relative rule: canary 4% against control 1% with ratio 2', () => {
    const settings = { maxErrorRate: 0.1, minExposures: 1000, windowSeconds: 60, maxRatioToControl: 2 }
    const r = seededRandom(7)
    const d = decide(settings, totals(5000, failures(5000, 0.04, r), 5000, failures(5000, 0.01, r)))
    expect(d).toMatchObject({ status: 'trip', rule: 'max_ratio_to_control', limit: 2 })
    // Without the ratio, 4% is under the 10% limit.
    expect(decide({ ...settings, maxRatioToControl: undefined }, d.figures).status).toBe('healthy')
  })

  it('does not apply the relative rule while control is thin', () => {
    const settings = { maxErrorRate: 0.5, minExposures: 1000, windowSeconds: 60, maxRatioToControl: 2 }
    expect(decide(settings, totals(5000, 400, 100, 0)).status).toBe('healthy')
  })
})

describe('sliding window', () => {
  it('sums only the last windowSeconds seconds', () => {
    const w = new SlidingWindow()
    w.add([10, 1, 20, 0], 1_000_000)
    w.add([5, 5, 0, 0], 1_030_000)
    expect(w.totals(1_030_500, 60)).toEqual(totals(15, 6, 20, 0))
    expect(w.totals(1_065_000, 60)).toEqual(totals(5, 5, 0, 0))
    expect(w.totals(1_100_000, 60)).toEqual(totals(0, 0, 0, 0))
  })

  it('does not count a slot left over from a lap of the ring ago', () => {
    const w = new SlidingWindow()
    w.add([7, 0, 0, 0], 0)
    expect(w.totals(600_000, 600)).toEqual(totals(0, 0, 0, 0))
  })
})
