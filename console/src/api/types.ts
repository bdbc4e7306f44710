import type { Change } from '../../../sdk/core/changes.ts'
import type { AttributeCondition, Cohort, Condition, Segment } from '../../../sdk/core/types.ts'

/** Wire shapes of the admin API, as the console reads them. */

export type { AttributeCondition, Change, Cohort, Condition, Segment }

export interface Environment {
  key: string
  name: string
  version: number
}

export type GuardHealth = 'healthy' | 'insufficient_data' | 'trip' | 'tripped' | 'off' | 'no_guard'

/** `held`: a due step waited longer than `maxWaitSeconds` for evidence; a person resumes it. */
export type PlanStatus = 'active' | 'paused' | 'held' | 'stopped' | 'completed' | 'cancelled'

/** Plans in these states still own their cohort's rollout: another one has to replace them. */
export const LIVE_PLAN_STATUSES: ReadonlySet<PlanStatus> = new Set(['active', 'paused', 'held'])

export interface PlanSummary {
  status: PlanStatus
  step: number
  steps: number[]
  nextAt: number | null
}

export interface Plan extends PlanSummary {
  cohort: string
  /** Steps asked for but skipped: the cohort was already at or above them. */
  skipped?: number[]
  intervalSeconds: number
  /** How long a due step waits for evidence before the plan holds (server default 3600). */
  maxWaitSeconds?: number
  note: string | null
  startedAt: number
}

/** `POST …/plan/preview`: what starting a plan would do, before anything changes. */
export interface PlanPreview {
  cohort: string
  /** The cohort's rollout now. */
  from: number
  /** The steps that will run; the first is applied at once. */
  steps: number[]
  /** Steps at or below `from`: a plan never narrows a cohort. */
  skipped: number[]
  /** The live plan this one would replace, or null. */
  replaces: Plan | null
}

export interface FlagListItem {
  key: string
  description: string
  tags: string[]
  environments: Record<
    string,
    {
      enabled: boolean
      version: number
      cohorts: number
      widestRollout: number
      guard: GuardHealth
      plan: PlanSummary | null
    }
  >
}

/** Canary and control counts of one period. */
export interface ArmCounts {
  canaryExposures: number
  canaryErrors: number
  controlExposures: number
  controlErrors: number
}

/**
 * One rule's sequential test. Statistics are null in JSON when infinite (a limit of 0 or 1).
 */
export interface RuleReading {
  /** The test since the start; trips at `threshold`. */
  statistic: number | null
  threshold: number
  /** The change detector (regressions that start late); trips at `changeThreshold`. */
  changeStatistic: number | null
  changeThreshold: number
  /** How close this rule is to a trip, 0–1. */
  progress: number
  crossed: 'mixture' | 'change' | null
}

/** The guard's evidence: counts since the tests started and each rule's reading. */
export interface GuardFigures extends ArmCounts {
  /** When the tests started (the flag turned on or the guard changed), epoch ms. */
  since: number
  /** Seconds with counts fed to the tests. */
  seconds: number
  canaryRate: number
  controlRate: number | null
  maxErrorRate: RuleReading
  maxRatioToControl: RuleReading | null
  /** How close to a trip, 0–1 (1 = tripped). */
  progress: number
}

export type GuardRule = 'max_error_rate' | 'max_ratio_to_control'
export type GuardTest = 'mixture' | 'change'
export type EvidenceSource = 'server' | 'all'

export interface GuardSettings {
  maxErrorRate: number
  /** Optional floor: canary exposures since the start before any trip (default 0). */
  minExposures?: number
  /** The span of the recent figures shown to people (default 60); not part of the test. */
  windowSeconds?: number
  maxRatioToControl?: number
  /** `server`: only back-end (server-key) evidence counts; `all` (default): browsers' too. */
  evidence?: EvidenceSource
  webhookUrl?: string
}

export interface TripRecord {
  at: number
  rule: GuardRule
  /** `mixture`: the test since the start; `change`: the change detector. */
  test: GuardTest
  limit: number
  figures: GuardFigures
}

export interface StoredGuard extends GuardSettings {
  lastTrip?: TripRecord | null
}

export interface FlagState {
  key: string
  environment: string
  /** Shared by every environment: whether client (browser) keys may see this flag at all. */
  clientSide?: boolean
  enabled: boolean
  salt: string
  stickiness: string
  cohorts: Cohort[]
  version: number
  guard: StoredGuard | null
  plan: Plan | null
  updatedAt: number
}

export interface GuardDecision {
  status: 'insufficient_data' | 'healthy' | 'trip'
  figures: GuardFigures
  rule?: GuardRule
  test?: GuardTest
  limit?: number
}

/** The recent window's counts, for people (the decision uses the counts since the start). */
export interface RecentCounts extends ArmCounts {
  seconds: number
}

/** A plan step's evidence that the canary's rate is below the limit. */
export interface PlanFigures extends ArmCounts {
  /** Index of the step the test belongs to, and when it began. */
  step: number
  since: number
  canaryRate: number
  statistic: number | null
  threshold: number
  /** True once the test shows the rate is below the limit. */
  proven: boolean
}

/** Where a plan stands: due but waiting for evidence, and when it would hold. */
export interface PlanProgress {
  waitingForEvidence: boolean
  holdsAt: number | null
  evidence: PlanFigures | null
}

/** The guard's view of a flag, as the stream's `guard_update` carries it. */
export interface GuardView {
  status: GuardHealth
  decision: GuardDecision | null
  guard: StoredGuard | null
  recent: RecentCounts | null
  plan: PlanFigures | null
}

/** `GET …/guard`: the view and where the plan stands. */
export interface GuardReport extends GuardView {
  planProgress: PlanProgress
}

export interface MinuteCounts {
  minute: number
  canaryExposures: number
  canaryErrors: number
  controlExposures: number
  controlErrors: number
}

export interface Metrics extends GuardReport {
  minutes: MinuteCounts[]
}

export interface AuditEntry {
  id: number
  at: number
  actor: string
  action: string
  flagKey: string | null
  envKey: string | null
  version: number | null
  before: unknown
  after: unknown
  details: unknown
}

export interface Connection {
  id: string
  keyName: string
  kind: 'admin' | 'server' | 'client'
  environment: string
  sdk: string | null
  sentVersion: number | null
  appliedVersion: number | null
  connectedAt: number
  /** Flags named in this SDK's metrics that the environment does not have (dropped). */
  unknownFlags?: number
  /** Metrics batches refused by validation. */
  refusedBatches?: number
}

/** A field-level problem from a 400 (`details.issues`). */
export interface FieldIssue {
  field: string
  message: string
}
