import { describe, expect, it } from 'vitest'
import { LIVE_PLAN_STATUSES, planOf, previewPlan, type RolloutPlan } from '../../../server/domain/plan.ts'

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

describe('planOf', () => {
  it('reads back a stored plan, and nothing else', () => {
    const stored = plan('active')
    expect(planOf(stored)).toBe(stored)
    expect(planOf(JSON.parse(JSON.stringify(stored)))).toEqual(stored)
    expect(planOf({ steps: [] })).toEqual({ steps: [] })
    for (const value of [null, undefined, 0, 1, '', 'steps', true, {}, { cohort: 'everyone' }, []]) expect(planOf(value)).toBeNull()
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
