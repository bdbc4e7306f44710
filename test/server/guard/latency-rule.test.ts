import { describe, expect, it } from 'vitest'
import { fromFlatCounts, type FlatCounts } from '../../../sdk/core/metrics.ts'
import { FlagEvidence, settingsKey, type GuardSettings } from '../../../server/guard/decide.ts'
import { CHANGE_THRESHOLD, MIXTURE_THRESHOLD } from '../../../server/guard/sequential.ts'

/**
 * The latency rules through the guard's own decision module: the slow share is taken over the
 * requests that reported a duration, a latency trip is an ordinary trip with its own figures,
 * a flag's rules share one false-trip budget, and plans wait for every absolute rule.
 */

const LATENCY: GuardSettings = { maxErrorRate: 0.05, latency: { slowerThanMs: 500, maxSlowRate: 0.1 } }

/** Feeds the same second `seconds` times; returns the second of the first trip, or 0. */
function feed(evidence: FlagEvidence, second: Partial<FlatCounts>, seconds: number): number {
  for (let s = 1; s <= seconds; s++) {
    evidence.add(fromFlatCounts(second))
    evidence.tick(0)
    if (evidence.wouldTrip()) return s
  }
  return 0
}

describe('latency rules in the decision module', () => {
  it('trips on a slow share over the limit, with the latency figures in the decision', () => {
    const evidence = new FlagEvidence(LATENCY, 0)
    // 100 timed canary requests a second, 30 of them slower than 500 ms; no errors.
    const at = feed(evidence, { canaryExposures: 100, canaryTimed: 100, canarySlow: 30, controlExposures: 900, controlTimed: 900, controlSlow: 90 }, 60)
    expect(at).toBeGreaterThan(0)
    const decision = evidence.decision()
    expect(decision).toMatchObject({ status: 'trip', rule: 'max_slow_rate', limit: 0.1 })
    expect(decision.figures).toMatchObject({ canarySlowRate: 0.3, controlSlowRate: 0.1, slowerThanMs: 500, canaryErrors: 0 })
    expect(decision.figures.maxSlowRate?.crossed).not.toBeNull()
    expect(decision.figures.maxErrorRate.crossed).toBeNull()
  })

  it('takes the slow share over requests that reported a duration, never over all exposures', () => {
    // 20 of 100 timed requests are slow (20%), among 1,000 exposures: diluted it would be 2%.
    const diluted = new FlagEvidence(LATENCY, 0)
    expect(feed(diluted, { canaryExposures: 1000, canaryTimed: 100, canarySlow: 20 }, 120)).toBeGreaterThan(0)
    // Exposures alone, with no durations, are no evidence about latency either way.
    const untimed = new FlagEvidence(LATENCY, 0)
    feed(untimed, { canaryExposures: 1000 }, 30)
    expect(untimed.figures()).toMatchObject({ canarySlowRate: null, canaryTimed: 0 })
    expect(untimed.figures().maxSlowRate?.statistic).toBe(0)
  })

  it('trips the ratio rule on a canary three times as slow as control', () => {
    const settings: GuardSettings = { maxErrorRate: 0.5, latency: { slowerThanMs: 250, maxSlowRatioToControl: 2 } }
    const evidence = new FlagEvidence(settings, 0)
    const at = feed(evidence, { canaryExposures: 100, canaryTimed: 100, canarySlow: 15, controlExposures: 900, controlTimed: 900, controlSlow: 45 }, 300)
    expect(at).toBeGreaterThan(0)
    expect(evidence.decision()).toMatchObject({ status: 'trip', rule: 'max_slow_ratio_to_control', limit: 2 })
  })

  it('splits the flag\'s false-trip budget evenly across its rules', () => {
    const one = new FlagEvidence({ maxErrorRate: 0.05 }, 0).figures()
    expect(one.maxErrorRate.threshold).toBeCloseTo(MIXTURE_THRESHOLD)
    const all = new FlagEvidence({ maxErrorRate: 0.05, maxRatioToControl: 2, latency: { slowerThanMs: 500, maxSlowRate: 0.1, maxSlowRatioToControl: 2 } }, 0).figures()
    // Four rules: α/4 each (threshold ln(4/α)), and a quarter of the change detectors' budget each.
    for (const reading of [all.maxErrorRate, all.maxRatioToControl, all.maxSlowRate, all.maxSlowRatioToControl]) {
      expect(reading?.threshold).toBeCloseTo(MIXTURE_THRESHOLD + Math.log(4))
      expect(reading?.changeThreshold).toBeCloseTo(CHANGE_THRESHOLD + Math.log(4))
    }
  })

  it('keeps the settings key of a guard without latency, and restarts the tests when the latency bound changes', () => {
    expect(settingsKey({ maxErrorRate: 0.05, maxRatioToControl: 2 })).toBe('[0.05,2,0,"all"]')
    const at500 = settingsKey(LATENCY)
    expect(settingsKey({ ...LATENCY, latency: { slowerThanMs: 1000, maxSlowRate: 0.1 } })).not.toBe(at500)
  })

  it('lets a plan widen only when every absolute rule is shown below its limit; no durations means it waits', () => {
    const evidence = new FlagEvidence(LATENCY, 0)
    evidence.startPlanStep('p/0', 0, 0)
    // Plenty of error-free traffic, but no durations: the error rate is shown low, latency is not.
    feed(evidence, { canaryExposures: 200 }, 10)
    expect(evidence.planFigures()).toMatchObject({ proven: false, waitingOn: ['max_slow_rate'], canarySlowRate: null })
    // Fast requests with durations: now both are shown below their limits.
    feed(evidence, { canaryExposures: 200, canaryTimed: 200, canarySlow: 2 }, 10)
    expect(evidence.planFigures()).toMatchObject({ proven: true, waitingOn: [] })
  })

  it('resumes the plan tests of every rule from a snapshot', () => {
    const evidence = new FlagEvidence(LATENCY, 0)
    evidence.startPlanStep('p/0', 0, 0)
    feed(evidence, { canaryExposures: 200, canaryTimed: 200, canarySlow: 2 }, 10)
    const resumed = new FlagEvidence(LATENCY, 99, evidence.snapshot())
    expect(resumed.planFigures()).toEqual(evidence.planFigures())
  })
})
