/** A rollout plan on one cohort: widen through `steps`, one step per interval, while healthy. */
export interface RolloutPlan {
  cohort: string
  steps: number[]
  intervalSeconds: number
  /** Index in `steps` of the rollout currently applied. */
  step: number
  status: 'active' | 'paused' | 'stopped' | 'completed' | 'cancelled'
  /** When the next step is due (epoch ms); null unless active. */
  nextAt: number | null
  /** Why the plan is waiting or stopped, for people. */
  note: string | null
  startedAt: number
}

/** The stored JSON read back as a plan, or null when there is none. */
export function planOf(value: unknown): RolloutPlan | null {
  return value && typeof value === 'object' && 'steps' in value ? (value as RolloutPlan) : null
}
