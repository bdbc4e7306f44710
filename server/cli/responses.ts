import { z } from 'zod'
import { CliError } from './errors.ts'

/**
 * The shapes of the API responses the human output reads. Loose objects: the server may add
 * fields without breaking the CLI, but a missing or mistyped field is reported, not printed as
 * `undefined`. (`--json` output skips these and prints the body as received.)
 */

const condition = z.union([
  z.looseObject({ segment: z.string(), negate: z.boolean().optional() }),
  z.looseObject({
    attribute: z.string(),
    operator: z.string(),
    values: z.array(z.union([z.string(), z.number()])),
    negate: z.boolean().optional(),
    caseInsensitive: z.boolean().optional(),
  }),
])
export type ConditionView = z.infer<typeof condition>

const cohort = z.looseObject({
  name: z.string(),
  conditions: z.array(condition),
  rollout: z.number(),
})

/** JSON has no infinity: a statistic that is infinite (a limit of 0 or 1) arrives as null. */
const statistic = z.number().nullable()

const armCounts = {
  canaryExposures: z.number(),
  canaryErrors: z.number(),
  controlExposures: z.number(),
  controlErrors: z.number(),
}

/** One rule's sequential test (server/guard/sequential.ts `RuleReading`). */
const ruleReading = z.looseObject({
  statistic,
  threshold: z.number(),
  changeStatistic: statistic,
  changeThreshold: z.number(),
  progress: z.number(),
  crossed: z.enum(['mixture', 'change']).nullable(),
})
export type RuleReadingView = z.infer<typeof ruleReading>

/** The guard's evidence since the start (server/guard/decide.ts `GuardFigures`). */
const guardFigures = z.looseObject({
  ...armCounts,
  since: z.number(),
  seconds: z.number(),
  canaryRate: z.number(),
  controlRate: z.number().nullable(),
  maxErrorRate: ruleReading,
  maxRatioToControl: ruleReading.nullable(),
  progress: z.number(),
})
export type GuardFiguresView = z.infer<typeof guardFigures>

const rule = z.enum(['max_error_rate', 'max_ratio_to_control'])

const tripRecord = z.looseObject({
  at: z.number(),
  rule,
  test: z.enum(['mixture', 'change']),
  limit: z.number(),
  figures: guardFigures,
})
export type TripRecordView = z.infer<typeof tripRecord>

const storedGuard = z.looseObject({
  maxErrorRate: z.number(),
  minExposures: z.number().optional(),
  windowSeconds: z.number().optional(),
  maxRatioToControl: z.number().optional(),
  evidence: z.enum(['server', 'all']).optional(),
  webhookUrl: z.string().optional(),
  lastTrip: tripRecord.nullable().optional(),
})
export type StoredGuardView = z.infer<typeof storedGuard>

export const plan = z.looseObject({
  cohort: z.string(),
  steps: z.array(z.number()),
  skipped: z.array(z.number()).optional(),
  intervalSeconds: z.number(),
  maxWaitSeconds: z.number().optional(),
  step: z.number(),
  /** active, paused, held, stopped, completed or cancelled (a string: newer servers may add one). */
  status: z.string(),
  nextAt: z.number().nullable(),
  note: z.string().nullable(),
  startedAt: z.number(),
})
export type PlanView = z.infer<typeof plan>

export const flagState = z.looseObject({
  key: z.string(),
  environment: z.string(),
  enabled: z.boolean(),
  salt: z.string(),
  stickiness: z.string(),
  cohorts: z.array(cohort),
  version: z.number(),
  guard: storedGuard.nullable().optional(),
  plan: plan.nullable().optional(),
})
export type FlagStateView = z.infer<typeof flagState>

/** A plan step's test that the rate is below the limit (server/guard/decide.ts `PlanFigures`). */
const planFigures = z.looseObject({
  ...armCounts,
  step: z.number(),
  since: z.number(),
  canaryRate: z.number(),
  statistic,
  threshold: z.number(),
  proven: z.boolean(),
})
export type PlanFiguresView = z.infer<typeof planFigures>

const planProgress = z.looseObject({
  waitingForEvidence: z.boolean(),
  holdsAt: z.number().nullable(),
  evidence: planFigures.nullable(),
})
export type PlanProgressView = z.infer<typeof planProgress>

/** `GET …/flags/:key/guard` (and the guard part of `PUT …/guard` and `GET …/metrics`). */
export const guardReport = z.looseObject({
  status: z.string(),
  decision: z
    .looseObject({
      status: z.string(),
      figures: guardFigures,
      rule: rule.optional(),
      test: z.enum(['mixture', 'change']).optional(),
      limit: z.number().optional(),
    })
    .nullable(),
  guard: storedGuard.nullable(),
  recent: z.looseObject({ ...armCounts, seconds: z.number() }).nullable(),
  plan: planFigures.nullable(),
  planProgress,
})
export type GuardReportView = z.infer<typeof guardReport>

/** `POST …/flags/:key/plan/preview`. */
export const planPreview = z.looseObject({
  cohort: z.string(),
  from: z.number(),
  steps: z.array(z.number()),
  skipped: z.array(z.number()),
  replaces: plan.nullable(),
})
export type PlanPreviewView = z.infer<typeof planPreview>

const definition = {
  key: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
}

const stateSummary = z.looseObject({
  enabled: z.boolean(),
  version: z.number(),
  cohorts: z.number(),
  widestRollout: z.number(),
})
export type StateSummaryView = z.infer<typeof stateSummary>

export const flagList = z.looseObject({
  items: z.array(
    z.looseObject({ ...definition, environments: z.record(z.string(), stateSummary) }),
  ),
})

export const flagDetail = z.looseObject({ ...definition, states: z.array(flagState) })

export const apiKey = z.looseObject({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  environment: z.string().nullable(),
  prefix: z.string(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
})

export const keyList = z.looseObject({ items: z.array(apiKey) })

export const createdKey = apiKey.extend({ secret: z.string() })

/** `data` as `schema` describes it, or a CliError naming the first field that did not fit. */
export function expectShape<T extends z.ZodType>(
  schema: T,
  data: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(data)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
  throw new CliError(`unexpected ${what} from the server (${where}${issue?.message ?? 'invalid'})`)
}
