import { describe, expect, it } from 'vitest'
import { plan as planShape } from '../../../api-shapes/plan.ts'
import { LIVE_PLAN_STATUSES, previewPlan, type RolloutPlan } from '../../../server/domain/plan.ts'
import { storedJson } from '../../../server/domain/stored-json.ts'
import { StoredDataError } from '../../../server/errors.ts'

/** The pure parts of rollout plans (the API around them: rollout-plan.test.ts). */
const plan = (status: RolloutPlan['status']): RolloutPlan => ({
  cohort: 'everyone',
  steps: [5, 25, 100],
  intervalSeconds: 600,
  step: 0,
  status,
  nextAt: null,
  note: null,
  startedAt: 1,
})

describe('a stored plan', () => {
  // The store parses stored plan JSON with the plan shape (server/store/rows.ts): a state's
  // `plan` is the typed value it handed over, and anything else never gets that far.
  it('reads back a stored plan, and refuses anything else with a StoredDataError', () => {
    const stored = plan('active')
    expect(storedJson(planShape, JSON.parse(JSON.stringify(stored)), 'plan')).toEqual(stored)
    for (const value of [{ steps: [] }, 0, 1, '', 'steps', true, {}, { cohort: 'everyone' }, []])
      expect(() => storedJson(planShape, value, 'plan')).toThrow(StoredDataError)
  })
})

describe('previewPlan', () => {
  it('keeps the steps above the current rollout, in order, lists those at or below it as skipped, and stays where it is', () => {
    expect(previewPlan(25, 'beta', [5, 25, 26, 50, 100], null, 600)).toEqual({
      cohort: 'beta',
      from: 25,
      steps: [26, 50, 100],
      startsAt: 25,
      widensNow: false,
      summary: 'stays at 25%; will go to 26% after 10 min if the canary shows it is under its limit, then to 50%, 100% (each step waits as long and for the same evidence)',
      skipped: [5, 25],
      replaces: null,
    })
    expect(previewPlan(100, 'everyone', [1, 5], null, 600)).toMatchObject({ from: 100, steps: [], skipped: [1, 5], startsAt: 100, widensNow: false, summary: null })
  })

  it('goes to the first step at once only from 0%, where there is no canary to measure', () => {
    expect(previewPlan(0, 'everyone', [1, 5], null, 600)).toMatchObject({
      from: 0,
      steps: [1, 5],
      skipped: [],
      startsAt: 1,
      widensNow: true,
      summary: 'goes to 1% at once (at 0% there is no canary to measure); will go to 5% after 10 min if the canary shows it is under its limit',
    })
    expect(previewPlan(1, 'all', [1, 25, 100], null, 600).summary).toBe(
      'stays at 1%; will go to 25% after 10 min if the canary shows it is under its limit, then to 100% (each step waits as long and for the same evidence)',
    )
  })

  it('replaces only a live plan (active, paused or held)', () => {
    expect([...LIVE_PLAN_STATUSES].sort()).toEqual(['active', 'held', 'paused'])
    for (const status of ['active', 'paused', 'held'] as const) {
      const existing = plan(status)
      expect(previewPlan(0, 'everyone', [5], existing, 60).replaces).toBe(existing)
    }
    for (const status of ['stopped', 'completed', 'cancelled'] as const)
      expect(previewPlan(0, 'everyone', [5], plan(status), 60).replaces).toBeNull()
  })
})
