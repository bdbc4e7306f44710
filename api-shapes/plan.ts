import * as z from 'zod/mini'
import { armCountsFields, guardRule, statistic } from './guard.ts'

/**
 * A rollout plan on one cohort: widen through `steps`, one step per interval, while the guard
 * shows it healthy. One type for the stored JSON (parsed by the store with `plan`), the answers
 * and the planner; `server/validation.ts` derives the request from it.
 */

/**
 * `held`: a due step waited longer than `maxWaitSeconds` for evidence; a person resumes it.
 * `stopped`: the guard tripped.
 */
export const PLAN_STATUSES = ['active', 'paused', 'held', 'stopped', 'completed', 'cancelled'] as const
export const planStatus = z.enum(PLAN_STATUSES)
export type PlanStatus = z.infer<typeof planStatus>

/** Plans in these states still own their cohort's rollout: another one has to replace them. */
export const LIVE_PLAN_STATUSES: ReadonlySet<PlanStatus> = new Set(['active', 'paused', 'held'])

/** Whether a plan in this status still owns its cohort's rollout. */
export const isLivePlan = (status: PlanStatus): boolean => LIVE_PLAN_STATUSES.has(status)

/** How long a due step waits for evidence before the plan holds, unless the plan says. */
export const DEFAULT_MAX_WAIT_SECONDS = 3600

export const plan = z.object({
  cohort: z.string(),
  /**
   * Where the cohort is at each step: the first is where the plan started (the cohort's rollout
   * then, or its first step from 0%), the others the widenings, each taken only on evidence.
   */
  steps: z.array(z.number()),
  /** Steps asked for but skipped because the cohort was already at or above them. */
  skipped: z.optional(z.array(z.number())),
  intervalSeconds: z.number(),
  /** How long a due step waits for evidence before the plan holds (default DEFAULT_MAX_WAIT_SECONDS). */
  maxWaitSeconds: z.optional(z.number()),
  /** Index in `steps` of the rollout currently applied. */
  step: z.number(),
  status: planStatus,
  /** When the next step is due (epoch ms); null unless active. */
  nextAt: z.nullable(z.number()),
  /** Why the plan is waiting, held or stopped, for people. */
  note: z.nullable(z.string()),
  startedAt: z.number(),
})
export type Plan = z.infer<typeof plan>

/** A plan step's test that the rate is below the limit (server/guard/decide.ts `PlanFigures`). */
export const planFigures = z.object({
  ...armCountsFields,
  step: z.number(),
  since: z.number(),
  canaryRate: z.number(),
  /** The canary's slow share this step; null while it has reported no durations this step. */
  canarySlowRate: z.nullable(z.number()),
  /** The error-rate test's statistic and threshold. */
  statistic,
  threshold: z.number(),
  /** Every absolute rule (error rate, slow share) shown below its limit. */
  proven: z.boolean(),
  /** The absolute rules not yet shown below their limits. */
  waitingOn: z.array(guardRule),
})

export const planProgress = z.object({
  waitingForEvidence: z.boolean(),
  holdsAt: z.nullable(z.number()),
  evidence: z.nullable(planFigures),
})

export const planSummary = z.object({
  status: planStatus,
  cohort: z.string(),
  step: z.number(),
  steps: z.array(z.number()),
  nextAt: z.nullable(z.number()),
})

/** What starting a plan would do, before it is done: the console and the CLI show it. */
export const planPreview = z.object({
  cohort: z.string(),
  /** The cohort's rollout now. */
  from: z.number(),
  /** The widenings to come, in order. Only from 0% is the first applied at once (`widensNow`). */
  steps: z.array(z.number()),
  /** The cohort's rollout right after the start: `from`, or the first step when `from` is 0 (nothing to measure there). */
  startsAt: z.number(),
  /** Whether starting widens the cohort at once: only from 0%. */
  widensNow: z.boolean(),
  /** What starting does, in words (api-shapes/plan-words.ts), or null when there is nothing to widen. */
  summary: z.nullable(z.string()),
  /** Steps at or below `from`: a plan never narrows a cohort. */
  skipped: z.array(z.number()),
  /** The live plan this one would replace (only with `replace`), or null. */
  replaces: z.nullable(plan),
})

export type PlanFigures = z.infer<typeof planFigures>
export type PlanProgress = z.infer<typeof planProgress>
export type PlanSummary = z.infer<typeof planSummary>
export type PlanPreview = z.infer<typeof planPreview>
