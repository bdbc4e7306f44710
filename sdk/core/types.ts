/**
 * The data model shared by the server and every SDK. Plain JSON-serialisable shapes only:
 * these objects travel over the wire and are stored as JSON in SQLite.
 */

/** A user is a plain bag of attributes (`userId`, `region`, `email`, `appVersion`, …). */
export type User = Readonly<Record<string, unknown>>

export const OPERATORS = [
  'in',
  'not_in',
  'starts_with',
  'ends_with',
  'contains',
  'matches',
  'lt',
  'lte',
  'gt',
  'gte',
  'semver_eq',
  'semver_lt',
  'semver_gt',
  'before',
  'after',
  'exists',
] as const

export type Operator = (typeof OPERATORS)[number]

/** `user[attribute] <operator> values`; holds when any value matches (`exists` ignores values). */
export interface AttributeCondition {
  attribute: string
  operator: Operator
  values: Array<string | number>
  negate?: boolean
  caseInsensitive?: boolean
}

/** Holds when the user is in the named segment of the same environment. */
export interface SegmentCondition {
  segment: string
  negate?: boolean
}

export type Condition = AttributeCondition | SegmentCondition

/**
 * All conditions must hold, then the user must fall inside `rollout` percent (0–100, 3 decimals).
 * `bucketing` absent: the project's own hash (the flag's salt and stickiness, see bucket.ts);
 * present: the source product's hash, so users imported from it keep their buckets.
 */
export interface Cohort {
  name: string
  conditions: Condition[]
  rollout: number
  bucketing?: CohortBucketing
}

/** The bucketing modes a cohort may name besides the project's own (SPEC.md §1). */
export const BUCKETING_MODES = ['unleash', 'launchdarkly'] as const

export type BucketingMode = (typeof BUCKETING_MODES)[number]

/**
 * Unleash's `flexibleRollout` / `gradualRollout*`: the user is inside when
 * `murmur3(groupId + ':' + value) % 100 + 1 <= rollout` (and `rollout > 0`). `stickiness` is the
 * user attribute hashed, or `default` (userId, else sessionId) as in Unleash.
 */
export interface UnleashBucketing {
  mode: 'unleash'
  groupId: string
  stickiness: string
}

/**
 * LaunchDarkly's percentage rollouts: the bucket is the first 15 hex digits of
 * sha1(`flagKey.salt.value`) (or `seed.value`) scaled to 0–99999, and the user is inside when
 * `(bucket - offset) mod 100000 < round(rollout * 1000)`. `offset` is where the `true` slice
 * starts among the source rollout's weights; `attribute` is LaunchDarkly's `bucketBy`.
 */
export interface LaunchDarklyBucketing {
  mode: 'launchdarkly'
  flagKey: string
  salt: string
  attribute: string
  /** LaunchDarkly's rollout seed; absent (or 0, as LaunchDarkly reads it) = flag key and salt. */
  seed?: number
  offset: number
}

export type CohortBucketing = UnleashBucketing | LaunchDarklyBucketing

/** A flag's state in one environment: everything evaluation needs. */
export interface FlagState {
  key: string
  enabled: boolean
  /** Bucketing salt; defaults to the flag key and never changes when a rollout widens. */
  salt: string
  /** User attribute hashed for partial cohorts; default `userId`. */
  stickiness: string
  cohorts: Cohort[]
  /** The environment version at which this state last changed (optimistic concurrency). */
  version: number
  /**
   * Whether client (browser) keys may see this flag at all. A per-flag setting shared by every
   * environment; absent means not visible.
   */
  clientSide?: boolean
}

/**
 * A named, reusable audience. A user is in it when their `userId` is listed, or when
 * `conditions` is non-empty and all of them hold. Segments cannot reference segments.
 */
export interface Segment {
  key: string
  description?: string
  userIds: string[]
  conditions: AttributeCondition[]
  version: number
}

export type SegmentMap = ReadonlyMap<string, Segment>

/** Why an evaluation came out as it did, naming the cohort (server keys, admin API). */
export type DetailedReason =
  | 'off'
  | `cohort:${string}`
  | 'outside_rollout'
  | 'no_match'
  | 'unknown_flag'
  | 'missing_stickiness'
  | 'error'

/**
 * OpenFeature's reasons: what client (public) keys receive instead of a detailed reason, so
 * an answer never names a cohort or a segment (see `generic-reason.ts`).
 */
export type GenericReason = 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'DISABLED' | 'ERROR'

/** A detailed reason (rules evaluated locally or by the admin API) or a generic one (client keys). */
export type Reason = DetailedReason | GenericReason

export interface EvalResult {
  enabled: boolean
  reason: Reason
}

/**
 * The guard's arm for an evaluation: `canary` when on, `control` when the user met a partial
 * cohort's conditions but fell outside its rollout, `none` otherwise (not counted).
 */
export type Arm = 'canary' | 'control' | 'none'
