import { describe, expect, it } from 'vitest'
import { tripWords } from '../../../api-shapes/trip-words.ts'
import { fromFlatCounts, type FlatCounts } from '../../../sdk/core/metrics.ts'
import { FlagEvidence, type GuardSettings } from '../../../server/guard/decide.ts'

/**
 * What a trip is told with, through the decision module: the change detector's trip carries the
 * counts since its rise began (and when), not the rates since the start; the test since the
 * start carries every count; the rise is saved and resumed with the tests.
 */

const START = Date.UTC(2026, 11, 6, 2, 0, 0)
const GUARD: GuardSettings = { maxErrorRate: 0.05 }

/** Feeds `seconds` equal seconds from `at` on; returns the next second's time. */
function feed(evidence: FlagEvidence, second: Partial<FlatCounts>, seconds: number, at: number): number {
  for (let s = 0; s < seconds; s++) {
    evidence.add(fromFlatCounts(second))
    evidence.tick(at + s * 1000)
  }
  return at + seconds * 1000
}

describe('the span a trip counted', () => {
  it('a change-detector trip after a healthy hour carries the counts and rate since the rise began, and when', () => {
    const evidence = new FlagEvidence(GUARD, START)
    // An hour at 1% (the limit is 5%): the test since the start sinks far below 0.
    let at = feed(evidence, { canaryExposures: 100, canaryErrors: 1, controlExposures: 900, controlErrors: 9 }, 3600, START)
    const riseAt = at
    let bad = 0
    // Then 30% errors, one second at a time, until it trips.
    while (!evidence.wouldTrip() && bad < 60) {
      at = feed(evidence, { canaryExposures: 100, canaryErrors: 30, controlExposures: 900, controlErrors: 9 }, 1, at)
      bad++
    }
    const decision = evidence.decision()
    expect(decision).toMatchObject({ status: 'trip', rule: 'max_error_rate', test: 'change' })
    if (decision.status !== 'trip') throw new Error('no trip')
    expect(decision.span).toEqual({ from: 'rise', since: riseAt, seconds: bad, canaryTrials: 100 * bad, canaryEvents: 30 * bad, controlTrials: 900 * bad, controlEvents: 9 * bad })
    // The rate since the start is far under the limit: telling the trip with it would contradict it.
    expect(decision.figures.canaryRate).toBeLessThan(0.05)
    const words = tripWords(decision)
    expect(words).toContain(`the change detector saw a rise that began at 2026-12-06 03:00:00 UTC (counts from ${bad === 1 ? '1 second' : `${bad} separate seconds`})`)
    expect(words).toContain(`since then the canary's error rate is 30.0% (${(30 * bad).toLocaleString('en-US')} errors in ${(100 * bad).toLocaleString('en-US')} exposures), over the limit of 5.00%`)
    const total = 3600 * 100 + 100 * bad
    const errors = 3600 + 30 * bad
    expect(words).toContain(
      `since the start (2026-12-06 02:00:00 UTC) the canary's rate is ${((errors / total) * 100).toFixed(2)}% (${errors.toLocaleString('en-US')} errors in ${total.toLocaleString('en-US')} exposures)`,
    )
  })

  it('a ratio trip from the test since the start carries both arms over every count', () => {
    const evidence = new FlagEvidence({ maxErrorRate: 0.5, maxRatioToControl: 2 }, START)
    feed(evidence, { canaryExposures: 100, canaryErrors: 10, controlExposures: 900, controlErrors: 5 }, 1, START)
    const decision = evidence.decision()
    expect(decision).toMatchObject({ status: 'trip', rule: 'max_ratio_to_control', test: 'mixture' })
    expect(tripWords(decision as Extract<typeof decision, { status: 'trip' }>)).toContain(
      "showed the canary's error rate is 10.0% (10 errors in 100 exposures) against the control's 0.56% (5 errors in 900 exposures), 18×, over the limit of 2× the control's",
    )
  })

  it('keeps a rise across a saved and resumed snapshot, and forgets it when the detector falls back to 0', () => {
    const evidence = new FlagEvidence({ maxErrorRate: 0.05, latency: { slowerThanMs: 500, maxSlowRate: 0.1 } }, START)
    let at = feed(evidence, { canaryExposures: 100, canaryTimed: 100, canarySlow: 2 }, 600, START)
    const riseAt = at
    // 60% slow of 10 timed requests a second: each second lifts every detector, none crosses in one.
    const steep = { canaryExposures: 10, canaryTimed: 10, canarySlow: 6 }
    at = feed(evidence, steep, 1, at)
    expect(evidence.wouldTrip()).toBe(false)
    const saved = JSON.parse(JSON.stringify(evidence.snapshot()))
    expect(saved.maxSlowRate.rises.every((r: { since: number } | null) => r?.since === riseAt)).toBe(true)
    // Resumed (a restart), the rise goes on: the trip's span starts where it did, before the restart.
    const resumed = new FlagEvidence({ maxErrorRate: 0.05, latency: { slowerThanMs: 500, maxSlowRate: 0.1 } }, at, saved)
    let more = 0
    while (!resumed.wouldTrip() && more < 60) {
      at = feed(resumed, steep, 1, at)
      more++
    }
    const decision = resumed.decision()
    expect(more).toBeGreaterThan(0)
    expect(decision).toMatchObject({
      status: 'trip',
      rule: 'max_slow_rate',
      test: 'change',
      span: { from: 'rise', since: riseAt, seconds: 1 + more, canaryTrials: 10 * (1 + more), canaryEvents: 6 * (1 + more) },
    })
    // Healthy seconds again bring every detector back to 0: no rise left to tell.
    const healed = new FlagEvidence({ maxErrorRate: 0.05, latency: { slowerThanMs: 500, maxSlowRate: 0.1 } }, START, saved)
    feed(healed, { canaryExposures: 1000, canaryTimed: 1000 }, 30, at)
    expect(healed.snapshot().maxSlowRate?.rises?.every((r) => r === null || r.seconds === 0)).toBe(true)
    // A rise after that starts afresh, at its own first second.
    const again = at + 30_000
    feed(healed, steep, 1, again)
    expect(healed.snapshot().maxSlowRate?.rises?.some((r) => r?.since === again && r.seconds === 1 && r.canaryEvents === 6)).toBe(true)
  })
})
