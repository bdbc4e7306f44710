import { isLivePlan, type Plan, type PlanPreview } from '../../api-shapes/plan.ts'
import { planStartText } from '../../api-shapes/plan-words.ts'

export { DEFAULT_MAX_WAIT_SECONDS, isLivePlan, LIVE_PLAN_STATUSES } from '../../api-shapes/plan.ts'
export type { PlanPreview } from '../../api-shapes/plan.ts'

/** A rollout plan on one cohort (api-shapes/plan.ts `plan`: the one type for it). */
export type RolloutPlan = Plan

/**
 * Splits the requested steps into those that widen the cohort and those that would narrow it,
 * and says where the cohort stands right after the start: where it is (a plan never widens on
 * nothing), unless it is at 0%, where there is no canary to measure and the first step is taken.
 */
export function previewPlan(current: number, cohort: string, steps: number[], existing: RolloutPlan | null, intervalSeconds: number): PlanPreview {
  const widening = steps.filter((s) => s > current)
  const widensNow = current === 0 && widening.length > 0
  return {
    cohort,
    from: current,
    steps: widening,
    startsAt: widensNow ? widening[0]! : current,
    widensNow,
    summary: planStartText({ cohort, from: current, steps: widening }, intervalSeconds),
    skipped: steps.filter((s) => s <= current),
    replaces: existing && isLivePlan(existing.status) ? existing : null,
  }
}

/** The plan's steps (where the cohort is at each): where it starts, then the widenings still to come. */
export const planPath = (p: PlanPreview): number[] => (p.widensNow ? p.steps : [p.from, ...p.steps])
