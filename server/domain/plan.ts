import { isLivePlan, type Plan, type PlanPreview } from '../../api-shapes/plan.ts'

export { DEFAULT_MAX_WAIT_SECONDS, isLivePlan, LIVE_PLAN_STATUSES } from '../../api-shapes/plan.ts'
export type { PlanPreview } from '../../api-shapes/plan.ts'

/** A rollout plan on one cohort (api-shapes/plan.ts `plan`: the one type for it). */
export type RolloutPlan = Plan

/** Splits the requested steps into those that widen the cohort and those that would narrow it. */
export function previewPlan(current: number, cohort: string, steps: number[], existing: RolloutPlan | null): PlanPreview {
  return {
    cohort,
    from: current,
    steps: steps.filter((s) => s > current),
    skipped: steps.filter((s) => s <= current),
    replaces: existing && isLivePlan(existing.status) ? existing : null,
  }
}
