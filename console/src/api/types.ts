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

export type PlanStatus = 'active' | 'paused' | 'stopped' | 'completed' | 'cancelled'

export interface PlanSummary {
  status: PlanStatus
  step: number
  steps: number[]
  nextAt: number | null
}

export interface Plan extends PlanSummary {
  cohort: string
  intervalSeconds: number
  note: string | null
  startedAt: number
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

export interface GuardFigures {
  canaryExposures: number
  canaryErrors: number
  controlExposures: number
  controlErrors: number
  windowSeconds: number
  canaryRate: number
  controlRate: number | null
  canaryLower: number
  canaryUpper: number
  ratioLower: number | null
}

export interface GuardSettings {
  maxErrorRate: number
  minExposures: number
  windowSeconds: number
  maxRatioToControl?: number
  webhookUrl?: string
}

export interface TripRecord {
  at: number
  rule: 'max_error_rate' | 'max_ratio_to_control'
  limit: number
  figures: GuardFigures
}

export interface StoredGuard extends GuardSettings {
  lastTrip?: TripRecord | null
}

export interface FlagState {
  key: string
  environment: string
  enabled: boolean
  salt: string
  stickiness: string
  cohorts: Cohort[]
  version: number
  guard: StoredGuard | null
  plan: Plan | null
  updatedAt: number
}

export interface GuardView {
  status: GuardHealth
  decision: { status: string; figures: GuardFigures; rule?: string; limit?: number } | null
  guard: StoredGuard | null
}

export interface MinuteCounts {
  minute: number
  canaryExposures: number
  canaryErrors: number
  controlExposures: number
  controlErrors: number
}

export interface Metrics extends GuardView {
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
}

/** A field-level problem from a 400 (`details.issues`). */
export interface FieldIssue {
  field: string
  message: string
}
