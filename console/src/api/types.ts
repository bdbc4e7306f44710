import type { Change } from '../../../sdk/core/changes.ts'
import type { AttributeCondition, Cohort, Condition, Segment } from '../../../sdk/core/types.ts'
import type { ArmCounts as ArmCountsShape, MetricsRow } from '../../../api-shapes/index.ts'

/**
 * Wire shapes of the admin API, as the console reads them: the types of the shared response
 * schemas (`api-shapes`), which `api()` parses every answer with. Nothing is declared
 * twice, so a renamed field fails the console's type check and the contract test.
 */

export type { AttributeCondition, Change, Cohort, Condition, Segment }
export type {
  AuditEntry,
  AuditPage,
  CohortSummary,
  Connection,
  Environment,
  FlagListItem,
  FlagState,
  EvidenceSource,
  GuardDecision,
  GuardFigures,
  GuardHealth,
  GuardReport,
  GuardRule,
  GuardSettings,
  GuardTest,
  GuardView,
  Metrics,
  MetricSpan,
  Plan,
  PlanFigures,
  PlanPreview,
  PlanProgress,
  PlanStatus,
  PlanSummary,
  RuleReading,
  StateSummary,
  StoredGuard,
  TripRecord,
} from '../../../api-shapes/index.ts'

export { isLivePlan, LIVE_PLAN_STATUSES } from '../../../api-shapes/plan.ts'


/** Canary and control counts of one period. */
export type ArmCounts = ArmCountsShape

/** The recent window's counts, for people (the decision uses the counts since the start). */
export interface RecentCounts extends ArmCounts {
  seconds: number
}

/** One row of the metrics series (per minute). */
export type MinuteCounts = MetricsRow

/** A field-level problem from a 400 (`details.issues`). */
export interface FieldIssue {
  field: string
  message: string
}
