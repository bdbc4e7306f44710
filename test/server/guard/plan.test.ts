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
  it('keeps the steps above the current rollout, in order, and lists those at or below it as skipped', () => {
    expect(previewPlan(25, 'beta', [5, 25, 26, 50, 100], null)).toEqual({
      cohort: 'beta',
      from: 25,
      steps: [26, 50, 100],
      skipped: [5, 25],
      replaces: null,
    })
    expect(previewPlan(0, 'everyone', [1, 5], null)).toMatchObject({ from: 0, steps: [1, 5], skipped: [] })
    expect(previewPlan(100, 'everyone', [1, 5], null)).toMatchObject({ from: 100, steps: [], skipped: [1, 5] })
  })

  it('replaces only a live plan (active, paused or held)', () => {
    expect([...LIVE_PLAN_STATUSES].sort()).toEqual(['active', 'held', 'paused'])
    for (const status of ['active', 'paused', 'held'] as const) {
      const existing = plan(status)
      expect(previewPlan(0, 'everyone', [5], existing).replaces).toBe(existing)
    }
    for (const status of ['stopped', 'completed', 'cancelled'] as const)
      expect(previewPlan(0, 'everyone', [5], plan(status)).replaces).toBeNull()
  })
})
