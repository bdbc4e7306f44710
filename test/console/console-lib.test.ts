import { describe, expect, it, vi } from 'vitest'
import { actorKind, actorText, fieldLabel } from '../../api-shapes/audit-words.ts'
import { auditedTrip } from '../../api-shapes/guard.ts'
import { ApiError } from '../../console/src/api/http.ts'
import { parseLiveMessage } from '../../console/src/api/live-message.ts'
import { reconnectDelay } from '../../console/src/api/live.ts'
import { auditDiff } from '../../console/src/lib/audit-diff.ts'
import { linePath, rateCeiling, rateSeries } from '../../console/src/lib/chart.ts'
import {
  rolloutOnlyChange,
  splitValues,
  templateDraft,
  createIds,
} from '../../console/src/lib/cohort-draft.ts'
import { newerState } from '../../console/src/lib/conflict.ts'
import { estimateAudience, exposuresLastHour } from '../../console/src/lib/estimate.ts'
import {
  closenessWords,
  countedWords,
  countsWords,
  floorWords,
  planEvidenceWords,
  progressPercent,
  readingWords,
  tripWhy,
  slowWords,
} from '../../console/src/lib/evidence.ts'
import { previewWords } from '../../console/src/lib/plan-text.ts'
import { fieldErrors } from '../../console/src/lib/field-errors.ts'
import { filterFlags } from '../../console/src/lib/flag-filter.ts'
import { createOwnChanges } from '../../console/src/lib/own-changes.ts'
import { href, parseRoute } from '../../console/src/lib/route.ts'

/** The console's pure parts: what the browser test would only catch indirectly. */

/** Arms that reported no durations (no latency rule). */
const NO_DURATIONS = { canaryTimed: 0, canarySlow: 0, controlTimed: 0, controlSlow: 0 }

const beta = {
  name: 'beta',
  conditions: [{ attribute: 'userId', operator: 'in' as const, values: ['alice'] }],
  rollout: 100,
}
const region = {
  name: 'region',
  conditions: [{ attribute: 'region', operator: 'in' as const, values: ['eu-west'] }],
  rollout: 1,
}

describe('auditDiff', () => {
  it('lists only changed fields, ignoring version and timestamps', () => {
    expect(
      auditDiff(
        { enabled: true, version: 4, updatedAt: 1 },
        { enabled: false, version: 5, updatedAt: 2 },
      ),
    ).toEqual([{ field: 'enabled', before: 'on', after: 'off' }])
  })

  it('reads a widening as one cohort rollout line', () => {
    expect(
      auditDiff({ cohorts: [beta, region] }, { cohorts: [beta, { ...region, rollout: 5 }] }),
    ).toEqual([{ field: 'cohort region · rollout', before: '1%', after: '5%' }])
  })

  it('names added and removed cohorts and changed conditions', () => {
    const lines = auditDiff(
      { cohorts: [beta] },
      {
        cohorts: [
          {
            ...beta,
            conditions: [{ attribute: 'userId', operator: 'in', values: ['alice', 'bob'] }],
          },
          region,
        ],
      },
    )
    expect(lines).toEqual([
      {
        field: 'cohort beta · who',
        before: 'userId in [alice] · 100%',
        after: 'userId in [alice, bob] · 100%',
      },
      { field: 'cohort region', before: '—', after: 'added: region in [eu-west] · 1%' },
    ])
  })

  it('flattens nested settings, treats null and missing alike, and summarises a trip', () => {
    const lines = auditDiff(
      { guard: null, plan: undefined },
      { guard: { maxErrorRate: 0.05, lastTrip: { at: 0, rule: 'max_error_rate' } }, plan: null },
    )
    expect(lines.map((l) => l.field)).toEqual(['guard.maxErrorRate', 'guard.lastTrip'])
    expect(lines[1]!.after).toContain('error rate over the limit')
    expect(lines[0]!.after).toBe('5.00%')
  })
})

describe('history labels', () => {
  it('names every field in words, never the raw path', () => {
    expect(fieldLabel('plan.nextAt')).toBe('Rollout plan · Next step at')
    expect(fieldLabel('guard.lastTrip')).toBe('Guard · Last trip')
    expect(fieldLabel('guard.maxRatioToControl')).toBe('Guard · Ratio-to-control limit')
    expect(fieldLabel('cohort eu · rollout')).toBe('Cohort eu · Rollout')
    expect(fieldLabel('plan.status')).toBe('Rollout plan · Status')
    expect(fieldLabel('someNewField')).toBe('Some new field')
    expect(actorText('guard')).toBe('the guard')
    expect(actorText('rollout-plan')).toBe('the rollout plan')
    expect(actorKind('admin-key:ann')).toBe('person')
  })

  it("reads a trip's details from entries old and new, and nothing else as a trip", () => {
    // What the Why line shows of the figures, and what it does not.
    const shown = { canaryExposures: 1000, canaryErrors: 600, canaryRate: 0.6, controlRate: 0.01 }
    const counts = { ...shown, controlExposures: 1000, controlErrors: 10 }
    const now = { at: 1, rule: 'max_error_rate', test: 'change', limit: 0.05, figures: { ...counts, since: 0, seconds: 60 } }
    expect(auditedTrip.parse(now)).toEqual({ rule: 'max_error_rate', test: 'change', limit: 0.05, figures: { ...counts, since: 0, seconds: 60 } })
    // The first trip records: no test, figures with a window and Wilson bounds instead of seconds.
    const first = { at: 1, rule: 'max_ratio_to_control', limit: 3, figures: { ...counts, windowSeconds: 300, canaryLower: 0.5, canaryUpper: 0.7, ratioLower: 40 } }
    expect(auditedTrip.parse(first)).toEqual({ rule: 'max_ratio_to_control', limit: 3, figures: counts })
    for (const details of [null, { segment: 'beta' }, { ...now, rule: 'sounds_bad' }, { ...now, figures: { canaryRate: 0.6 } }])
      expect(auditedTrip.safeParse(details).success).toBe(false)
  })
})

describe('audience estimate', () => {
  const now = 10 * 3_600_000
  const minute = (at: number, canary: number, control: number) => ({
    minute: at,
    canaryExposures: canary,
    canaryErrors: 0,
    controlExposures: control,
    controlErrors: 0,
    ...NO_DURATIONS,
  })

  it('sums canary and control exposures of the last hour only', () => {
    expect(
      exposuresLastHour(
        [minute(now - 2 * 3_600_000, 999, 999), minute(now - 60_000, 20, 1980)],
        now,
      ),
    ).toBe(2000)
  })

  it('is exposures × (new% − old%) / 100', () => {
    expect(
      estimateAudience({ oldRollout: 1, newRollout: 5, exposures: 2000, sameConditions: true }),
    ).toEqual({
      kind: 'change',
      delta: 80,
      exposures: 2000,
    })
    expect(
      estimateAudience({ oldRollout: 5, newRollout: 1, exposures: 2000, sameConditions: true }),
    ).toMatchObject({ delta: -80 })
  })

  it('counts only the part above what another cohort already gives the same users (rollouts nest)', () => {
    // "everyone" is at 10%: widening eu-west from 5% to 25% reaches 15 points of it, not 20.
    expect(
      estimateAudience({ oldRollout: 5, newRollout: 25, covered: 10, exposures: 2000, sameConditions: true }),
    ).toMatchObject({ kind: 'change', delta: 300 })
    // 5% → 10% within everyone's 10%: nobody's answer changes.
    expect(
      estimateAudience({ oldRollout: 5, newRollout: 10, covered: 10, exposures: 2000, sameConditions: true }),
    ).toMatchObject({ kind: 'change', delta: 0 })
  })

  it('declines to guess for new cohorts, changed conditions or no data', () => {
    expect(
      estimateAudience({ oldRollout: null, newRollout: 5, exposures: 2000, sameConditions: false })
        .kind,
    ).toBe('unknown')
    expect(
      estimateAudience({ oldRollout: 1, newRollout: 5, exposures: 2000, sameConditions: false })
        .kind,
    ).toBe('unknown')
    expect(
      estimateAudience({ oldRollout: 1, newRollout: 5, exposures: 0, sameConditions: true }).kind,
    ).toBe('unknown')
    expect(
      estimateAudience({ oldRollout: 5, newRollout: 5, exposures: 0, sameConditions: true }).kind,
    ).toBe('same')
  })
})

describe('cohort drafts', () => {
  it('splits a pasted list on lines, commas, semicolons and tabs, without duplicates', () => {
    expect(splitValues('alice\nbob, carol;\tdave\n\nalice ', 'in')).toEqual([
      'alice',
      'bob',
      'carol',
      'dave',
    ])
  })

  it('keeps commas inside patterns and makes numeric operators numeric', () => {
    expect(splitValues('^a{1,3}$\n^b$', 'matches')).toEqual(['^a{1,3}$', '^b$'])
    expect(splitValues('10\n2.5', 'gte')).toEqual([10, 2.5])
    expect(splitValues('anything', 'exists')).toEqual([])
  })

  it('recognises a change of one percentage as a widening', () => {
    expect(rolloutOnlyChange([beta, region], [beta, { ...region, rollout: 5 }])).toEqual({
      index: 1,
      cohort: 'region',
      rollout: 5,
    })
    expect(
      rolloutOnlyChange(
        [beta, region],
        [
          { ...beta, rollout: 50 },
          { ...region, rollout: 5 },
        ],
      ),
    ).toBeUndefined()
    expect(
      rolloutOnlyChange([beta, region], [beta, { ...region, conditions: [], rollout: 5 }]),
    ).toBeUndefined()
    expect(rolloutOnlyChange([beta, region], [beta, { ...region, rollout: 'abc' }])).toBeUndefined()
  })

  it('names new cohorts so they do not clash', () => {
    const ids = createIds()
    expect(templateDraft('region', ['region', 'region-2'], ids).name).toBe('region-3')
    expect(templateDraft('beta', [], ids).conditions[0]).toMatchObject({
      attribute: 'userId',
      operator: 'in',
    })
  })
})

describe('a save refused for a newer state', () => {
  const current = {
    key: 'checkout-v2',
    environment: 'production',
    clientSide: false,
    enabled: true,
    salt: 'checkout-v2',
    stickiness: 'userId',
    cohorts: [beta],
    version: 7,
    guard: null,
    plan: null,
    updatedAt: 1,
  }
  const refused = (status: number, details: unknown) => new ApiError(status, 'conflict', 'changed since version 6 (now 7)', details)

  it('is a 409 carrying the newer state, which it reads as a flag state', () => {
    expect(newerState(refused(409, { current }))).toEqual(current)
  })

  it('is nothing else: another status, a 409 without a state, or one whose state is not a flag state', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(newerState(refused(400, { current }))).toBeUndefined()
    expect(newerState(refused(409, { flags: ['a'] }))).toBeUndefined()
    expect(newerState(refused(409, undefined))).toBeUndefined()
    expect(newerState(refused(409, { current: { key: 'checkout-v2' } }))).toBeUndefined()
    expect(error).toHaveBeenCalledTimes(1)
    error.mockRestore()
  })
})

describe('fieldErrors', () => {
  const shown = ['cohorts', 'cohorts.0.rollout', 'cohorts.0.conditions.0.values']

  it('puts each issue on its field, or on the nearest shown parent', () => {
    const errors = fieldErrors(
      [
        { field: 'cohorts.0.rollout', message: 'Too big' },
        { field: 'cohorts.0.conditions.0.values.3', message: 'bad value' },
        { field: 'cohorts.7', message: 'odd' },
      ],
      shown,
    )
    expect(errors.get('cohorts.0.rollout')).toBe('Too big')
    expect(errors.get('cohorts.0.conditions.0.values')).toBe('bad value')
    expect(errors.get('cohorts')).toBe('odd')
  })

  it('keeps issues about unshown fields in the summary, with their field named', () => {
    expect(fieldErrors([{ field: 'guard', message: 'set a guard first' }], shown).get('')).toBe(
      'guard: set a guard first',
    )
  })

  it('renames a field the endpoint names differently', () => {
    const errors = fieldErrors([{ field: 'rollout', message: 'Too big' }], shown, (f) =>
      f === 'rollout' ? 'cohorts.0.rollout' : f,
    )
    expect(errors.get('cohorts.0.rollout')).toBe('Too big')
  })
})

describe('routes', () => {
  it('round-trips every page with its environment', () => {
    for (const route of [
      { page: 'flags' as const },
      { page: 'flag' as const, key: 'checkout-v2' },
      { page: 'segments' as const },
      { page: 'segment' as const, key: null },
      { page: 'segment' as const, key: 'staff' },
      { page: 'connections' as const },
      { page: 'requests' as const },
    ])
      expect(parseRoute(href(route, 'production'))).toEqual({ route, env: 'production' })
  })

  it('falls back to the flags list', () => {
    expect(parseRoute('')).toEqual({ route: { page: 'flags' }, env: undefined })
  })
})

describe('chart', () => {
  it('leaves minutes without exposures out of an arm', () => {
    const series = rateSeries([
      { minute: 0, canaryExposures: 10, canaryErrors: 1, controlExposures: 0, controlErrors: 0, ...NO_DURATIONS },
      {
        minute: 60_000,
        canaryExposures: 0,
        canaryErrors: 0,
        controlExposures: 100,
        controlErrors: 2,
        ...NO_DURATIONS,
      },
    ])
    expect(series.canary).toEqual([{ at: 0, rate: 0.1, exposures: 10 }])
    expect(series.control).toEqual([{ at: 60_000, rate: 0.02, exposures: 100 }])
  })

  it('breaks the line over missing minutes', () => {
    const points = [0, 60_000, 300_000].map((at) => ({ at, rate: 0, exposures: 1 }))
    expect(
      linePath(
        points,
        (t) => t / 60_000,
        () => 0,
      ),
    ).toBe('M0.0,0.0L1.0,0.0M5.0,0.0')
  })

  it('keeps room above the limit', () => {
    expect(rateCeiling(0.05, [0.01])).toBe(0.1)
    expect(rateCeiling(0.05, [0.6])).toBe(0.75)
    expect(rateCeiling(null, [])).toBe(0.01)
  })
})

describe('live messages', () => {
  it('accepts console changes and guard updates, and nothing else', () => {
    const change = {
      type: 'console_change',
      environment: 'production',
      change: { type: 'flag', version: 3, flag: {} },
    }
    expect(parseLiveMessage(JSON.stringify(change))).toEqual(change)
    const guard = {
      type: 'guard_update',
      environment: 'production',
      flag: 'f',
      at: 1,
      guard: { status: 'healthy', decision: null, guard: null, recent: null, plan: null },
    }
    expect(parseLiveMessage(JSON.stringify(guard))).toEqual(guard)
    // A guard view of the wrong shape is dropped (and said on the console), not cast.
    const errors: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void errors.push(args)
    try {
      expect(parseLiveMessage(JSON.stringify({ ...guard, guard: { status: 'healthy' } }))).toBeUndefined()
    } finally {
      console.error = original
    }
    expect(errors).toHaveLength(1)
    expect(parseLiveMessage('{"type":"pong"}')).toBeUndefined()
    expect(parseLiveMessage('not json')).toBeUndefined()
  })

  it('backs off exponentially with jitter, capped', () => {
    expect(reconnectDelay(0, () => 0)).toBe(250)
    expect(reconnectDelay(0, () => 1)).toBe(500)
    expect(reconnectDelay(20, () => 1)).toBe(15_000)
  })
})

describe('flag filter', () => {
  const flags = [
    {
      key: 'checkout-v2',
      description: 'New checkout',
      tags: ['payments'],
      clientSide: false,
      createdAt: 1,
      updatedAt: 1,
      environments: {
        production: {
          enabled: false,
          version: 1,
          cohorts: 1,
          widestRollout: 5,
          audience: [{ name: 'everyone', rollout: 5, conditions: [] }],
          guard: 'tripped' as const,
          plan: null,
        },
      },
    },
    {
      key: 'search',
      description: '',
      tags: [],
      clientSide: true,
      createdAt: 1,
      updatedAt: 1,
      environments: {
        production: {
          enabled: true,
          version: 1,
          cohorts: 0,
          widestRollout: 0,
          audience: [],
          guard: 'no_guard' as const,
          plan: null,
        },
      },
    },
  ]

  it('searches key, description and tags, and filters per environment', () => {
    expect(filterFlags(flags, 'production', 'PAYMENTS', 'all').map((f) => f.key)).toEqual([
      'checkout-v2',
    ])
    expect(filterFlags(flags, 'production', '', 'tripped').map((f) => f.key)).toEqual([
      'checkout-v2',
    ])
    expect(filterFlags(flags, 'production', '', 'on').map((f) => f.key)).toEqual(['search'])
  })
})

describe('own changes', () => {
  it("lets a draft follow the page's own changes to other parts only", () => {
    const own = createOwnChanges()
    own.record(4, 5, ['enabled'])
    own.record(5, 9, ['guard'])
    expect(own.follow(4, 'cohorts')).toBe(9)
    expect(own.follow(4, 'guard')).toBe(5)
    expect(own.follow(4, 'enabled')).toBe(4)
    expect(own.follow(7, 'cohorts')).toBe(7)
  })
})

describe('guard evidence in words', () => {
  it('says what the counted seconds are, and that there are none yet just after turning on', () => {
    const since = Date.UTC(2026, 0, 1, 12, 0, 0)
    const tail = ' (SDKs send counts in batches every few seconds; each second with counts updates the tests).'
    expect(countedWords({ since, seconds: 3 }, since + 60_000)).toBe(`For 60 s, counts from 3 separate seconds${tail}`)
    expect(countedWords({ since, seconds: 1 }, since + 2000)).toBe(`For 2 s, counts from 1 second${tail}`)
    expect(countedWords({ since, seconds: 0 }, since)).toBe(`For 0 s, no counts yet${tail}`)
  })

  const reading = (progress: number, crossed: 'mixture' | 'change' | null = null) => ({
    statistic: progress * 3,
    threshold: 3,
    changeStatistic: 0.5,
    changeThreshold: 17.76,
    progress,
    crossed,
  })
  const figures = (progress: number, crossed: 'mixture' | 'change' | null = null) => ({
    since: 0,
    seconds: 120,
    canaryExposures: 4000,
    canaryErrors: 12,
    controlExposures: 36_000,
    controlErrors: 30,
    ...NO_DURATIONS,
    canaryRate: 0.003,
    controlRate: 30 / 36_000,
    canarySlowRate: null,
    controlSlowRate: null,
    slowerThanMs: null,
    maxErrorRate: reading(progress, crossed),
    maxRatioToControl: null,
    maxSlowRate: null,
    maxSlowRatioToControl: null,
    progress,
  })

  it('says how close to a trip, never 100% before one', () => {
    expect(closenessWords(figures(0.04))).toBe('No sign of a problem: 4% of the way to a trip.')
    expect(closenessWords(figures(0.3))).toContain('Some evidence')
    expect(closenessWords(figures(0.999))).toBe(
      'Strong evidence the canary is worse than its limit: 99% of the way to a trip.',
    )
    expect(closenessWords(figures(1, 'change'))).toContain('the guard trips')
    expect(closenessWords({ ...figures(0), canaryExposures: 0 })).toContain('No canary traffic')
    expect(progressPercent(Number.NaN)).toBe(0)
  })

  it('gives the counts since the start, the floor while it holds, and each rule reading', () => {
    expect(countsWords(figures(0))).toBe(
      'The canary failed 12 of 4,000 exposures (0.30%); control 30 of 36,000 (0.08%).',
    )
    expect(floorWords(figures(0), { maxErrorRate: 0.05, minExposures: 5000 })).toBe(
      'It does not trip before 5,000 canary exposures (4,000 so far).',
    )
    expect(floorWords(figures(0), { maxErrorRate: 0.05 })).toBeNull()
    expect(readingWords(reading(0.5))).toBe(
      'since the start 1.50 of 3.00 · change detector 0.50 of 17.76 · 50% to a trip',
    )
    // JSON has no infinity: a limit of 0 trips with a null statistic.
    expect(readingWords({ ...reading(1, 'mixture'), statistic: null })).toContain(
      'since the start — of 3.00',
    )
  })

  it('explains a trip by rule and test, with the figures of the span the test counted', () => {
    const trip = { at: 0, rule: 'max_error_rate' as const, test: 'change' as const, limit: 0.05 }
    const rise = { from: 'rise' as const, since: Date.UTC(2025, 2, 4, 12, 50), seconds: 4, canaryTrials: 200, canaryEvents: 40, controlTrials: 1800, controlEvents: 2 }
    expect(tripWhy({ ...trip, figures: figures(1, 'change'), span: rise })).toBe(
      'the change detector saw a rise that began at 2025-03-04 12:50:00 UTC (counts from 4 separate seconds): since then ' +
        "the canary's error rate is 20.0% (40 errors in 200 exposures), over the limit of 5.00% (test statistic 0.50, threshold 17.76); " +
        "since the start (1970-01-01 00:00:00 UTC) the canary's rate is 0.30% (12 errors in 4,000 exposures)",
    )
    // A change trip recorded before rises were kept says it does not know when the rise began, not a since-start rate as its cause.
    expect(tripWhy({ ...trip, figures: figures(1, 'change') })).toMatch(/^the change detector saw a rise in the canary's error rate \(when it began was not recorded\)/)
    const ratio = { ...trip, rule: 'max_ratio_to_control' as const, test: 'mixture' as const, limit: 2 }
    expect(tripWhy({ ...ratio, figures: { ...figures(1), maxRatioToControl: reading(1, 'mixture') } })).toContain(
      "showed the canary's error rate is 0.30% (12 errors in 4,000 exposures) against the control's 0.08% (30 errors in 36,000 exposures), 3.6×, over the limit of 2× the control's",
    )
    // The sentence frozen in the record is the one every surface shows.
    expect(tripWhy({ ...trip, figures: figures(1, 'change'), summary: 'as frozen' })).toBe('as frozen')
  })

  it('shows slow-request shares beside the error rates, and words a latency trip with its own figures', () => {
    expect(slowWords(figures(0))).toBeNull()
    const slow = { ...figures(1, 'mixture'), slowerThanMs: 500, canaryTimed: 400, canarySlow: 48, canarySlowRate: 0.12, controlTimed: 0, controlSlow: 0, controlSlowRate: null }
    expect(slowWords(slow)).toBe('Slower than 500 ms: canary 12.0% of 400 timed requests; control no durations reported yet.')
    const trip = { at: 0, rule: 'max_slow_rate' as const, test: 'mixture' as const, limit: 0.1, figures: { ...slow, maxSlowRate: reading(1, 'mixture') } }
    expect(tripWhy(trip)).toBe(
      "the evidence since the start (1970-01-01 00:00:00 UTC, counts from 120 separate seconds) showed the canary's share of requests slower than 500 ms is 12.0% (48 slow in 400 timed requests), over the limit of 10.0% (test statistic 3.00, threshold 3.00)",
    )
  })

  it("describes a plan step's evidence", () => {
    const e = { step: 0, since: 0, canaryExposures: 50, canaryErrors: 1, controlExposures: 0, controlErrors: 0, canaryRate: 0.02, ...NO_DURATIONS, canarySlowRate: null, statistic: 0.4, threshold: 3, proven: false, waitingOn: ['max_error_rate' as const] }
    expect(planEvidenceWords(e)).toBe(
      '1 canary errors in 50 exposures this step (2.00%); not yet shown below the limit (statistic 0.40 of 3.00)',
    )
    expect(planEvidenceWords({ ...e, canaryExposures: 0, canaryErrors: 0 })).toMatch(/^0 canary errors in 0 exposures this step; /)
    expect(planEvidenceWords({ ...e, proven: true })).toContain('shown below the limit')
  })
})

describe('plan preview in words', () => {
  it('says which steps run, which are skipped, and which plan it replaces', () => {
    const summary = 'stays at 50%; will go to 100% after 10 min if the canary shows it is under its limit'
    const words = previewWords({ cohort: 'everyone', from: 50, steps: [100], startsAt: 50, widensNow: false, summary, skipped: [1, 5, 25, 50], replaces: null })
    expect(words).toEqual({
      runs: `cohort everyone ${summary}`,
      confirm: 'Yes, start the plan',
      skipped: "skip 1%, 5%, 25%, 50%: at or below the cohort's current 50% (a plan never narrows a cohort)",
      replaces: null,
      nothing: null,
    })
    const live = { cohort: 'everyone', steps: [5, 10], step: 1, status: 'active' as const, nextAt: 1, note: null, startedAt: 0, intervalSeconds: 60 }
    const replacing = previewWords({ cohort: 'everyone', from: 0, steps: [25, 50], startsAt: 25, widensNow: true, summary: 'goes to 25% at once', skipped: [], replaces: live })
    expect(replacing.runs).toBe('cohort everyone goes to 25% at once')
    expect(replacing.confirm).toBe('Yes, replace the plan and widen to 25% now')
    expect(replacing.replaces).toBe('replace the plan active on cohort everyone, step 2 of 2 (10%)')
    expect(previewWords({ cohort: 'c', from: 100, steps: [], startsAt: 100, widensNow: false, summary: null, skipped: [50, 100], replaces: null }).nothing).toBe(
      "Every step is at or below cohort c's current 100%: there is nothing to widen.",
    )
  })
})
