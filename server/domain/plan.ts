/** A rollout plan on one cohort: widen through `steps`, one step per interval, while shown healthy. */
export interface RolloutPlan {
  cohort: string
  /** The steps this plan runs (those above the cohort's rollout when it started). */
  steps: number[]
  /** Steps asked for but skipped because the cohort was already at or above them. */
  skipped?: number[]
  intervalSeconds: number
  /** How long a due step waits for evidence before the plan holds (default DEFAULT_MAX_WAIT_SECONDS). */
  maxWaitSeconds?: number
  /** Index in `steps` of the rollout currently applied. */
  step: number
  /**
   * `held`: a due step waited longer than `maxWaitSeconds` for evidence; a person resumes it.
   * `stopped`: the guard tripped.
   */
  status: 'active' | 'paused' | 'held' | 'stopped' | 'completed' | 'cancelled'
  /** When the next step is due (epoch ms); null unless active. */
  nextAt: number | null
  /** Why the plan is waiting, held or stopped, for people. */
  note: string | null
  startedAt: number
}

export const DEFAULT_MAX_WAIT_SECONDS = 3600

/** Plans in these states still own their cohort's rollout: another needs `replace`. */
export const LIVE_PLAN_STATUSES: ReadonlySet<RolloutPlan['status']> = new Set(['active', 'paused', 'held'])

/** The stored JSON read back as a plan, or null when there is none. */
export function planOf(value: unknown): RolloutPlan | null {
  return value && typeof value === 'object' && 'steps' in value ? (value as RolloutPlan) : null
}

/** What starting a plan would do, before it is done: the console and the CLI show it. */
export interface PlanPreview {
  cohort: string
  /** The cohort's rollout now. */
  from: number
  /** The steps that will run, in order; the first is applied at once. */
  steps: number[]
  /** Steps at or below `from`: a plan never narrows a cohort. */
  skipped: number[]
  /** The live plan this one would replace (only with `replace`), or null. */
  replaces: RolloutPlan | null
}

/** Splits the requested steps into those that widen the cohort and those that would narrow it. */
export function previewPlan(current: number, cohort: string, steps: number[], existing: RolloutPlan | null): PlanPreview {
  return {
    cohort,
    from: current,
    steps: steps.filter((s) => s > current),
    skipped: steps.filter((s) => s <= current),
    replaces: existing && LIVE_PLAN_STATUSES.has(existing.status) ? existing : null,
  }
}
