import { describe, expect, it } from 'vitest'
import { planStepText } from '../../api-shapes/audience.ts'
import { planDrift } from '../../api-shapes/plan-drift.ts'

const completed = { status: 'completed' as const, cohort: 'eu', step: 1, steps: [25, 100], nextAt: null }

describe('a plan that no longer matches its cohort says so', () => {
  it('says nothing while the cohort holds the plan\'s step', () => {
    expect(planDrift(completed, [{ name: 'eu', rollout: 100 }])).toBeUndefined()
    expect(planStepText(completed, [{ name: 'eu', rollout: 100 }])).toBe('step 2 of 2 (100%) on eu, completed')
  })

  it('after the cohort was narrowed by hand: no longer "step 2 of 2 (100%) … completed" alone', () => {
    const cohorts = [{ name: 'everyone', rollout: 5 }, { name: 'eu', rollout: 50 }]
    expect(planDrift(completed, cohorts)).toBe("cohort eu is at 50% now, not the plan's 100% (changed since the plan set it)")
    expect(planStepText(completed, cohorts)).toBe(
      "step 2 of 2 (100%) on eu, completed; but cohort eu is at 50% now, not the plan's 100% (changed since the plan set it)",
    )
  })

  it('after the cohort was removed or renamed', () => {
    expect(planDrift(completed, [{ name: 'eu-west', rollout: 100 }])).toBe('cohort eu no longer exists')
  })

  it('without the cohorts (a caller that has none) the words stay as they were', () => {
    expect(planStepText(completed)).toBe('step 2 of 2 (100%) on eu, completed')
  })
})
