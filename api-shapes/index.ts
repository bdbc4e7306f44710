import * as z from 'zod/mini'
import { OPERATORS } from '../sdk/core/types.ts'
import { GUARD_RULE_KINDS, GUARD_RULE_NAMES, type GuardRuleName } from './guard-rules.ts'

/**
 * The admin API's response shapes, written once. The routes type what they send against them,
 * the console and the CLI parse what they receive with them, and the OpenAPI document is
 * derived from them. `zod/mini` keeps the console bundle small (no method chaining to ship).
 *
 * Plain objects (`z.object`) accept and drop fields they do not name, so a server may add a
 * field without breaking an older reader; a missing or mistyped field fails the parse, which
 * is what makes a renamed field fail loudly instead of showing `undefined`.
 *
 * This module imports zod and `sdk/core/types` only: the console's browser bundle takes it.
 *
 * @example
 * const list = shapes.flagList.parse(await response.json())
 */

const opt = z.optional
const nul = z.nullable

// ---- rules --------------------------------------------------------------------------------

export const attributeCondition = z.object({
  attribute: z.string(),
  operator: z.enum(OPERATORS),
  values: z.array(z.union([z.string(), z.number()])),
  negate: opt(z.boolean()),
  caseInsensitive: opt(z.boolean()),
})
export const segmentCondition = z.object({ segment: z.string(), negate: opt(z.boolean()) })
export const condition = z.union([segmentCondition, attributeCondition])
export const cohort = z.object({ name: z.string(), conditions: z.array(condition), rollout: z.number() })

// ---- guard ------------------------------------------------------------------------------

/** JSON has no infinity: a statistic that is infinite (a limit of 0 or 1) arrives as null. */
const statistic = nul(z.number())

const armCounts = {
  canaryExposures: z.number(),
  canaryErrors: z.number(),
  controlExposures: z.number(),
  controlErrors: z.number(),
}
export const armCountsShape = z.object(armCounts)
export type ArmCounts = z.infer<typeof armCountsShape>

export const guardHealth = z.enum(['healthy', 'insufficient_data', 'trip', 'tripped', 'off', 'no_guard'])
export const guardRule = z.enum(GUARD_RULE_NAMES)
export const guardTest = z.enum(['mixture', 'change'])

/** One rule's sequential test (server/guard/sequential.ts `RuleReading`). */
export const ruleReading = z.object({
  statistic,
  threshold: z.number(),
  changeStatistic: statistic,
  changeThreshold: z.number(),
  progress: z.number(),
  crossed: nul(guardTest),
})

/** Each rule kind's reading, keyed by its setting: required rules always have one. */
type RuleReadings = {
  [R in GuardRuleName as (typeof GUARD_RULE_KINDS)[R]['setting']]: (typeof GUARD_RULE_KINDS)[R]['required'] extends true
    ? typeof ruleReading
    : ReturnType<typeof nul<typeof ruleReading>>
}

/** The guard's evidence since the start (server/guard/decide.ts `GuardFigures`). */
export const guardFigures = z.object({
  ...armCounts,
  since: z.number(),
  seconds: z.number(),
  canaryRate: z.number(),
  controlRate: nul(z.number()),
  // One reading per rule kind, under its setting's name; null when the rule does not run.
  ...(Object.fromEntries(
    Object.values(GUARD_RULE_KINDS).map((kind) => [kind.setting, kind.required ? ruleReading : nul(ruleReading)]),
  ) as RuleReadings),
  progress: z.number(),
})

export const tripRecord = z.object({
  at: z.number(),
  rule: guardRule,
  test: guardTest,
  limit: z.number(),
  figures: guardFigures,
})

export const guardSettings = z.object({
  maxErrorRate: z.number(),
  minExposures: opt(z.number()),
  windowSeconds: opt(z.number()),
  maxRatioToControl: opt(z.number()),
  evidence: opt(z.enum(['server', 'all'])),
  webhookUrl: opt(z.string()),
})
export const storedGuard = z.object({ ...guardSettings.shape, lastTrip: opt(nul(tripRecord)) })

export const planStatus = z.enum(['active', 'paused', 'held', 'stopped', 'completed', 'cancelled'])

export const plan = z.object({
  cohort: z.string(),
  steps: z.array(z.number()),
  skipped: opt(z.array(z.number())),
  intervalSeconds: z.number(),
  maxWaitSeconds: opt(z.number()),
  step: z.number(),
  status: planStatus,
  nextAt: nul(z.number()),
  note: nul(z.string()),
  startedAt: z.number(),
})

/** A plan step's test that the rate is below the limit (server/guard/decide.ts `PlanFigures`). */
export const planFigures = z.object({
  ...armCounts,
  step: z.number(),
  since: z.number(),
  canaryRate: z.number(),
  statistic,
  threshold: z.number(),
  proven: z.boolean(),
})

export const planProgress = z.object({
  waitingForEvidence: z.boolean(),
  holdsAt: nul(z.number()),
  evidence: nul(planFigures),
})

export const guardDecision = z.object({
  status: z.enum(['insufficient_data', 'healthy', 'trip']),
  figures: guardFigures,
  rule: opt(guardRule),
  test: opt(guardTest),
  limit: opt(z.number()),
})

/** The guard's view of a flag (also the stream's `guard_update`). */
export const guardView = z.object({
  status: guardHealth,
  decision: nul(guardDecision),
  guard: nul(storedGuard),
  recent: nul(z.object({ ...armCounts, seconds: z.number() })),
  plan: nul(planFigures),
})

/** `GET …/flags/:key/guard`. */
export const guardReport = z.object({ ...guardView.shape, planProgress })

// ---- flags ------------------------------------------------------------------------------

/** `GET /environments/:env/flags/:key` and every change of one state. */
export const flagState = z.object({
  key: z.string(),
  environment: z.string(),
  clientSide: opt(z.boolean()),
  enabled: z.boolean(),
  salt: z.string(),
  stickiness: z.string(),
  cohorts: z.array(cohort),
  version: z.number(),
  guard: nul(storedGuard),
  plan: nul(plan),
  updatedAt: z.number(),
})

/** `PUT …/guard`: the new state and the guard's view of it. */
export const guardSet = z.object({ state: flagState, ...guardReport.shape })
/** `DELETE …/guard`. */
export const guardRemoved = z.object({ state: flagState })

const definition = {
  key: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  clientSide: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
}

/** `GET /flags/:key`, `POST /flags`: the definition and the states the key may see. */
export const flagDetail = z.object({ ...definition, states: z.array(flagState) })
/** `PATCH /flags/:key`: the definition alone. */
export const flagDefinition = z.object(definition)

/** One condition, shortened for a list: a long user list is its first values and a count. */
export const conditionSummary = z.union([
  segmentCondition,
  z.object({
    attribute: z.string(),
    operator: z.enum(OPERATORS),
    values: z.array(z.union([z.string(), z.number()])),
    valueCount: z.number(),
    negate: opt(z.boolean()),
  }),
])
export const cohortSummary = z.object({
  name: z.string(),
  rollout: z.number(),
  conditions: z.array(conditionSummary),
})

export const planSummary = z.object({
  status: planStatus,
  cohort: z.string(),
  step: z.number(),
  steps: z.array(z.number()),
  nextAt: nul(z.number()),
})

/** What a flags list shows of one environment's state. */
export const stateSummary = z.object({
  enabled: z.boolean(),
  version: z.number(),
  cohorts: z.number(),
  widestRollout: z.number(),
  /** Who gets the flag, cohort by cohort (conditions shortened). */
  audience: z.array(cohortSummary),
  guard: guardHealth,
  plan: nul(planSummary),
})

export const flagListItem = z.object({ ...definition, environments: z.record(z.string(), stateSummary) })
/**
 * A keyset page by flag key (`?limit=&cursor=`): `nextCursor` is the next page's `cursor`, null
 * on the last page. Lists up to the page limit (1,000) come whole in one page.
 */
const nextCursor = nul(z.string())
export const flagList = z.object({ items: z.array(flagListItem), nextCursor })
export const flagStateList = z.object({ items: z.array(flagState), nextCursor })

// ---- metrics, plans ---------------------------------------------------------------------

export const metricsRow = z.object({ minute: z.number(), ...armCounts })

/** The spans the metrics endpoint serves; the console picks one to fit the data. */
export const METRIC_SPANS = ['15m', '1h', '6h', '24h'] as const
export const metricSpan = z.enum(METRIC_SPANS)

/** `GET …/metrics`: the guard's report plus rows of counts, `resolutionSeconds` apart. */
export const metrics = z.object({
  ...guardReport.shape,
  minutes: z.array(metricsRow),
  /** Width of one row in seconds. */
  resolutionSeconds: z.number(),
  /** Start of the period the rows cover (epoch ms). */
  from: z.number(),
  /** When the flag's counts began in this period (the first row with exposures), or null. */
  firstCountAt: nul(z.number()),
  /**
   * Finer rows of the last 15 minutes (10 s apart) for a guarded flag, when this server's guard
   * saw its counts; null otherwise (the chart then uses the per-minute rows).
   */
  fine: nul(z.object({ resolutionSeconds: z.number(), rows: z.array(metricsRow) })),
})

export const planPreview = z.object({
  cohort: z.string(),
  from: z.number(),
  steps: z.array(z.number()),
  skipped: z.array(z.number()),
  replaces: nul(plan),
})

// ---- environments, segments, keys, audit, connections --------------------------------------

export const environment = z.object({ key: z.string(), name: z.string(), version: z.number() })
export const environmentList = z.object({ items: z.array(environment) })

export const segment = z.object({
  key: z.string(),
  description: opt(z.string()),
  userIds: z.array(z.string()),
  conditions: z.array(attributeCondition),
  version: z.number(),
})
export const segmentList = z.object({ items: z.array(segment) })

export const keyKind = z.enum(['admin', 'server', 'client'])
export const apiKey = z.object({
  id: z.string(),
  name: z.string(),
  kind: keyKind,
  environment: nul(z.string()),
  prefix: z.string(),
  createdAt: z.number(),
  revokedAt: nul(z.number()),
})
export const keyList = z.object({ items: z.array(apiKey) })
export const createdKey = z.object({ ...apiKey.shape, secret: z.string() })

export const auditEntry = z.object({
  id: z.number(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  flagKey: nul(z.string()),
  envKey: nul(z.string()),
  version: nul(z.number()),
  before: z.unknown(),
  after: z.unknown(),
  details: z.unknown(),
})
export const auditPage = z.object({ items: z.array(auditEntry), nextBefore: nul(z.number()) })

export const connection = z.object({
  id: z.string(),
  keyName: z.string(),
  kind: keyKind,
  environment: z.string(),
  sdk: nul(z.string()),
  sentVersion: nul(z.number()),
  appliedVersion: nul(z.number()),
  connectedAt: z.number(),
  unknownFlags: opt(z.number()),
  refusedBatches: opt(z.number()),
})
export const connectionList = z.object({ items: z.array(connection) })

export const evaluation = z.object({ flag: z.string(), enabled: z.boolean(), reason: z.string() })

export type AttributeConditionShape = z.infer<typeof attributeCondition>
export type ConditionShape = z.infer<typeof condition>
export type CohortShape = z.infer<typeof cohort>
export type GuardHealth = z.infer<typeof guardHealth>
export type PlanStatus = z.infer<typeof planStatus>
export type Plan = z.infer<typeof plan>
export type PlanSummary = z.infer<typeof planSummary>
export type PlanPreview = z.infer<typeof planPreview>
export type PlanFigures = z.infer<typeof planFigures>
export type PlanProgress = z.infer<typeof planProgress>
export type RuleReading = z.infer<typeof ruleReading>
export type GuardFigures = z.infer<typeof guardFigures>
export type GuardRule = z.infer<typeof guardRule>
export type GuardTest = z.infer<typeof guardTest>
export type GuardSettings = z.infer<typeof guardSettings>
export type TripRecord = z.infer<typeof tripRecord>
export type StoredGuard = z.infer<typeof storedGuard>
export type GuardDecision = z.infer<typeof guardDecision>
export type GuardView = z.infer<typeof guardView>
export type GuardReport = z.infer<typeof guardReport>
export type FlagState = z.infer<typeof flagState>
export type FlagDetail = z.infer<typeof flagDetail>
export type ConditionSummary = z.infer<typeof conditionSummary>
export type CohortSummary = z.infer<typeof cohortSummary>
export type StateSummary = z.infer<typeof stateSummary>
export type FlagListItem = z.infer<typeof flagListItem>
export type MetricsRow = z.infer<typeof metricsRow>
export type MetricSpan = z.infer<typeof metricSpan>
export type Metrics = z.infer<typeof metrics>
export type Environment = z.infer<typeof environment>
export type SegmentShape = z.infer<typeof segment>
export type ApiKeyShape = z.infer<typeof apiKey>
export type AuditEntry = z.infer<typeof auditEntry>
export type AuditPage = z.infer<typeof auditPage>
export type Connection = z.infer<typeof connection>
