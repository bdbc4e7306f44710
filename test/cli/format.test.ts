import { describe, expect, it } from 'vitest'
import { conditionsText as describeConditions } from '../../api-shapes/audience.ts'
import { evidenceLines, planLines, previewLines, settingsLine, tripLine } from '../../server/cli/guard-text.ts'
import { apiPath } from '../../server/cli/http.ts'
import { formatFields, formatTable, truncate } from '../../server/cli/table.ts'

describe('formatTable', () => {
  it('pads each column to its widest cell and leaves no trailing spaces', () => {
    const rows = [
      ['checkout-v2', 'on', ''],
      ['a', 'off', 'x'],
    ]
    expect(formatTable(['KEY', 'STATE', 'NOTE'], rows).split('\n')).toEqual([
      'KEY          STATE  NOTE',
      'checkout-v2  on',
      'a            off    x',
    ])
  })
})

describe('formatFields', () => {
  it('aligns the values after the longest label', () => {
    const fields = formatFields([
      ['flag', 'f'],
      ['environment', 'prod'],
    ])
    expect(fields).toBe('flag:         f\nenvironment:  prod')
  })
})

describe('truncate', () => {
  it('keeps short text and cuts long text with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc')
    expect(truncate('abcdef', 4)).toBe('abc…')
  })
})

describe('apiPath', () => {
  it('encodes interpolated values so they cannot change the route', () => {
    expect(apiPath`/api/v1/environments/${'prod'}/flags/${'a/../b'}`).toBe(
      '/api/v1/environments/prod/flags/a%2F..%2Fb',
    )
  })
})

describe('describeConditions', () => {
  it('reads like the rule: every condition joined by "and", long lists shortened', () => {
    const text = describeConditions([
      { attribute: 'userId', operator: 'in', values: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] },
      { segment: 'staff', negate: true },
      { attribute: 'email', operator: 'exists', values: [] },
    ])
    expect(text).toBe('userId in [a, b, c, d, e, +2 more] and not in segment staff and email exists')
  })

  it('says "everyone" for a cohort without conditions', () => {
    expect(describeConditions([])).toBe('everyone')
  })
})

/** Arms that reported no durations (no latency rule). */
const noDurations = { canaryTimed: 0, canarySlow: 0, controlTimed: 0, controlSlow: 0 }

describe('guard and plan text', () => {
  const reading = (progress: number, crossed: 'mixture' | 'change' | null = null) => ({
    statistic: progress * 3,
    threshold: 3,
    changeStatistic: 0,
    changeThreshold: 17.76,
    progress,
    crossed,
  })
  const figures = {
    since: Date.UTC(2025, 2, 4, 12, 30),
    seconds: 300,
    canaryExposures: 4000,
    canaryErrors: 12,
    controlExposures: 36_000,
    controlErrors: 30,
    ...noDurations,
    canaryRate: 0.003,
    controlRate: 30 / 36_000,
    canarySlowRate: null,
    controlSlowRate: null,
    slowerThanMs: null,
    maxErrorRate: reading(0.12),
    maxRatioToControl: null,
    maxSlowRate: null,
    maxSlowRatioToControl: null,
    progress: 0.12,
  }
  /** A change detector's rise: 3 seconds, from 12:58:10. */
  const rise = { from: 'rise' as const, since: Date.UTC(2025, 2, 4, 12, 58, 10), seconds: 3, canaryTrials: 300, canaryEvents: 60, controlTrials: 2700, controlEvents: 3 }

  it('prints the settings and the evidence in words', () => {
    expect(settingsLine({ maxErrorRate: 0.05, evidence: 'server', minExposures: 500 })).toBe(
      'off above 5.00% errors; evidence: servers only (browsers ignored); no trip before 500 canary exposures; recent figures over 60 s',
    )
    expect(evidenceLines(figures, { maxErrorRate: 0.05 })).toEqual([
      'evidence since 2025-03-04 12:30 UTC (counts from 300 separate seconds): canary 12 errors in 4,000 exposures (0.30%), control 30 in 36,000 (0.08%)',
      'how close to a trip: 12% (some evidence the canary is worse than its limit)',
      '  error rate over the limit (5.00%): since the start 0.36 of 3.00, change detector 0.00 of 17.76 (12%)',
    ])
    expect(
      tripLine({ at: Date.UTC(2025, 2, 4, 13, 0), rule: 'max_error_rate', test: 'change', limit: 0.05, figures, span: rise }),
    ).toBe(
      'last trip: 2025-03-04 13:00 UTC, error rate over the limit (5.00%), change detector; the change detector saw a rise that began at 2025-03-04 12:58:10 UTC ' +
        "(counts from 3 separate seconds): since then the canary's error rate is 20.0% (60 errors in 300 exposures), over the limit of 5.00% " +
        "(test statistic 0.00, threshold 17.76); since the start (2025-03-04 12:30:00 UTC) the canary's rate is 0.30% (12 errors in 4,000 exposures)",
    )
    // Turned back on: the record stays, and says when.
    const resolvedAt = Date.UTC(2025, 2, 4, 13, 20)
    // The sentence frozen in the record at the trip is the one printed.
    expect(tripLine({ at: 0, rule: 'max_error_rate', test: 'change', limit: 0.05, figures, summary: 'as frozen' })).toMatch(/change detector; as frozen$/)
    expect(
      tripLine({ at: Date.UTC(2025, 2, 4, 13, 0), rule: 'max_error_rate', test: 'change', limit: 0.05, figures, resolvedAt }),
    ).toMatch(/; turned back on 2025-03-04 13:20 UTC$/)
  })

  it('prints the latency rule: its setting, both arms\' slow shares beside the errors, and a latency trip in its own figures', () => {
    const latency = { slowerThanMs: 500, maxSlowRate: 0.1, maxSlowRatioToControl: 2 }
    expect(settingsLine({ maxErrorRate: 0.05, latency })).toContain(
      "or when over 10.0% or over 2× control's share of timed requests are slower than 500 ms",
    )
    const slow = {
      ...figures,
      canaryTimed: 400,
      canarySlow: 120,
      controlTimed: 3600,
      controlSlow: 360,
      canarySlowRate: 0.3,
      controlSlowRate: 0.1,
      slowerThanMs: 500,
      maxSlowRate: reading(1, 'mixture'),
      maxSlowRatioToControl: reading(0.5),
    }
    expect(evidenceLines(slow, { maxErrorRate: 0.05, latency }).slice(3)).toEqual([
      '  slower than 500 ms: canary 30.0% (120 of 400 timed), control 10.0% (360 of 3,600 timed)',
      '  slow-request share over the limit (10.0%): since the start 3.00 of 3.00, change detector 0.00 of 17.76 (100%)',
      '  slow-request share over the ratio to control (2×): since the start 1.50 of 3.00, change detector 0.00 of 17.76 (50%)',
    ])
    // No durations yet: said, not shown as 0%.
    expect(evidenceLines({ ...slow, canaryTimed: 0, canarySlow: 0, canarySlowRate: null }, { maxErrorRate: 0.05, latency })[3]).toContain(
      'canary no durations reported yet',
    )
    expect(tripLine({ at: Date.UTC(2025, 2, 4, 13, 0), rule: 'max_slow_rate', test: 'mixture', limit: 0.1, figures: slow })).toBe(
      'last trip: 2025-03-04 13:00 UTC, slow-request share over the limit (10.0%), test since the start; ' +
        "the evidence since the start (2025-03-04 12:30:00 UTC, counts from 300 separate seconds) showed the canary's share of requests slower than 500 ms " +
          'is 30.0% (120 slow in 400 timed requests), over the limit of 10.0% (test statistic 3.00, threshold 3.00)',
    )
  })

  it('prints a waiting plan with its figures, and a held one', () => {
    const now = Date.UTC(2025, 2, 4, 12, 0)
    const plan = { cohort: 'everyone', steps: [1, 5, 25], step: 0, status: 'active' as const, intervalSeconds: 60, nextAt: now - 1000, note: null, startedAt: now - 61_000 }
    const evidence = { step: 0, since: now - 61_000, canaryExposures: 50, canaryErrors: 1, controlExposures: 450, controlErrors: 2, canaryRate: 0.02, ...noDurations, canarySlowRate: null, statistic: -0.4, threshold: 3, proven: false, waitingOn: ['max_error_rate' as const] }
    expect(planLines(plan, { waitingForEvidence: true, holdsAt: now + 3_599_000, evidence }, now)).toEqual([
      'plan: active on cohort everyone, step 1 of 3 (1%); steps 1%, 5%, 25%',
      '  waiting for evidence: the next step (5%) is due, but the error rate is not yet shown below the limit',
      '  1 canary errors in 50 exposures this step (2.00%); not yet shown below the limit (statistic -0.40 of 3.00)',
      '  holds at 2025-03-04 12:59 UTC (in 60 min) unless the evidence comes',
    ])
    const held = planLines({ ...plan, status: 'held', nextAt: null, note: 'held: no evidence' }, { waitingForEvidence: false, holdsAt: null, evidence }, now)
    expect(held.slice(1)).toEqual(['  held: no evidence', '  resume it with: canary plan resume, or cancel it'])
  })

  it('prints what plan start will do', () => {
    const summary = 'stays at 50%; will go to 100% after 10 min if the canary shows it is under its limit'
    const preview = { cohort: 'everyone', from: 50, steps: [100], startsAt: 50, widensNow: false, summary, skipped: [1, 5, 25, 50], replaces: null }
    expect(previewLines('f', 'production', preview)).toEqual([
      'plan for f in production, cohort everyone (now 50%):',
      `  cohort everyone ${summary}`,
      "  skipped: 1%, 5%, 25%, 50% (at or below the cohort's current 50%; a plan never narrows a cohort)",
    ])
  })
})
