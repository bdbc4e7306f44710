import * as z from 'zod/mini'
import { GUARD_RULE_KINDS, GUARD_RULE_NAMES, type GuardRuleName } from './guard-rules.ts'

/**
 * The guard: its settings (one type for the request, the stored JSON and the answers), what it
 * looked at (figures, readings) and what it decided (decisions, trips). The request schema in
 * `server/validation.ts` is `guardSettings` with bounds added; the store parses the stored guard
 * JSON with `storedGuard`.
 */

/** JSON has no infinity: a statistic that is infinite (a limit of 0 or 1) arrives as null. */
export const statistic = z.nullable(z.number())

/**
 * Counts per arm (sdk/core/metrics.ts `FlatCounts`): `…Timed` are the exposures that reported a
 * duration, `…Slow` those among them slower than the guard's `latency.slowerThanMs`.
 */
export const armCountsFields = {
  canaryExposures: z.number(),
  canaryErrors: z.number(),
  canaryTimed: z.number(),
  canarySlow: z.number(),
  controlExposures: z.number(),
  controlErrors: z.number(),
  controlTimed: z.number(),
  controlSlow: z.number(),
}
export const armCountsShape = z.object(armCountsFields)
export type ArmCounts = z.infer<typeof armCountsShape>

export const guardHealth = z.enum(['healthy', 'insufficient_data', 'trip', 'tripped', 'off', 'no_guard'])
export const guardRule = z.enum(GUARD_RULE_NAMES)
/** `mixture`: the test since the start crossed ln(1/α); `change`: the change detector fired. */
export const guardTest = z.enum(['mixture', 'change'])
/** `server`: only server-key (back-end) evidence counts; `all` (default): browsers' too. */
export const evidenceSource = z.enum(['server', 'all'])

/** One rule's sequential test (server/guard/sequential.ts `RuleReading`). */
export const ruleReading = z.object({
  statistic,
  threshold: z.number(),
  changeStatistic: statistic,
  changeThreshold: z.number(),
  progress: z.number(),
  crossed: z.nullable(guardTest),
})

/** Each rule kind's reading, keyed by its setting: required rules always have one. */
type RuleReadings = {
  [R in GuardRuleName as (typeof GUARD_RULE_KINDS)[R]['setting']]: (typeof GUARD_RULE_KINDS)[R]['required'] extends true
    ? typeof ruleReading
    : ReturnType<typeof z.nullable<typeof ruleReading>>
}

/** The guard's evidence since the start (server/guard/decide.ts `GuardFigures`). */
export const guardFigures = z.object({
  ...armCountsFields,
  since: z.number(),
  seconds: z.number(),
  canaryRate: z.number(),
  controlRate: z.nullable(z.number()),
  /** Slow share of each arm (slow ÷ timed); null while the arm has reported no durations. */
  canarySlowRate: z.nullable(z.number()),
  controlSlowRate: z.nullable(z.number()),
  /** The latency bound the slow counts are taken against (null: no latency rule). */
  slowerThanMs: z.nullable(z.number()),
  // One reading per rule kind, under its setting's name; null when the rule does not run.
  ...(Object.fromEntries(
    Object.values(GUARD_RULE_KINDS).map((kind) => [kind.setting, kind.required ? ruleReading : z.nullable(ruleReading)]),
  ) as RuleReadings),
  progress: z.number(),
})

/**
 * The counts the test that fired had counted, in its rule's own metric (`…Trials`: exposures,
 * or for latency the requests that reported a duration; `…Events`: errors, or slow requests):
 * since the start for the test since the start (`from: 'start'`), since the rise began for the
 * change detector (`from: 'rise'`, `since` is when the rise began). A trip is told with these.
 */
export const tripSpan = z.object({
  from: z.enum(['start', 'rise']),
  since: z.number(),
  seconds: z.number(),
  canaryTrials: z.number(),
  canaryEvents: z.number(),
  controlTrials: z.number(),
  controlEvents: z.number(),
})

/** What a trip froze: shown in the console banner, the audit entry and sent to the webhook. */
export const tripRecord = z.object({
  at: z.number(),
  rule: guardRule,
  test: guardTest,
  limit: z.number(),
  figures: guardFigures,
  /** The span the test that fired counted (absent in trips recorded before it was kept). */
  span: z.optional(tripSpan),
  /** The trip in words (api-shapes/trip-words.ts), as the console, CLI, audit and webhook tell it. */
  summary: z.optional(z.string()),
  /**
   * When a person turned the flag back on after this trip (epoch ms); absent while the trip
   * still holds the flag off. The record stays, with its figures, until the next trip.
   */
  resolvedAt: z.optional(z.nullable(z.number())),
})

/**
 * The latency rules: a request is slow when it took longer than `slowerThanMs` (one of the
 * duration histogram's bounds, sdk/core/metrics.ts `DURATION_BOUNDS`); the canary trips when its
 * slow share (slow ÷ requests that reported a duration) is over `maxSlowRate`, or more than
 * `maxSlowRatioToControl` times control's. Either limit may be left out, not both.
 */
export const latencySettings = z.object({
  slowerThanMs: z.number(),
  maxSlowRate: z.optional(z.number()),
  maxSlowRatioToControl: z.optional(z.number()),
})

/**
 * What an audit entry's `details` tells of a trip: the fields every trip record has carried.
 * Entries outlive the record's shape (the first trips had no `test`, their figures no `seconds`
 * and no rule readings), so old entries are read with this, not with `tripRecord`.
 */
export const auditedTrip = z.object({
  ...z.pick(tripRecord, { rule: true, limit: true, span: true, summary: true }).shape,
  test: z.optional(guardTest),
  figures: z.object({
    ...z.pick(guardFigures, { canaryErrors: true, canaryExposures: true, canaryRate: true, controlRate: true }).shape,
    seconds: z.optional(z.number()),
    since: z.optional(z.number()),
    controlErrors: z.optional(z.number()),
    controlExposures: z.optional(z.number()),
    slowerThanMs: z.optional(z.nullable(z.number())),
    canarySlowRate: z.optional(z.nullable(z.number())),
    controlSlowRate: z.optional(z.nullable(z.number())),
    canarySlow: z.optional(z.number()),
    canaryTimed: z.optional(z.number()),
    controlSlow: z.optional(z.number()),
    controlTimed: z.optional(z.number()),
  }),
})

/** Whether a trip still holds its flag off (nobody has turned it back on since). */
export const tripHolds = (trip: { resolvedAt?: number | null | undefined } | null | undefined): boolean =>
  !!trip && (trip.resolvedAt ?? null) === null

/** Guard settings of one flag in one environment. */
export const guardSettings = z.object({
  /** Highest acceptable canary error rate, 0–1. */
  maxErrorRate: z.number(),
  /** Optional floor: canary exposures since the start before any trip (0: none). */
  minExposures: z.optional(z.number()),
  /** The span of the recent figures shown in the console and API; not part of the test. */
  windowSeconds: z.optional(z.number()),
  /** Trip when the canary's rate is more than this many times control's. */
  maxRatioToControl: z.optional(z.number()),
  latency: z.optional(latencySettings),
  evidence: z.optional(evidenceSource),
  /** POSTed a JSON event on a trip and when a plan holds. */
  webhookUrl: z.optional(z.string()),
})

/** The guard JSON stored on a flag state: its settings and the last trip. */
export const storedGuard = z.object({ ...guardSettings.shape, lastTrip: z.optional(z.nullable(tripRecord)) })

export const guardDecision = z.object({
  status: z.enum(['insufficient_data', 'healthy', 'trip']),
  figures: guardFigures,
  rule: z.optional(guardRule),
  test: z.optional(guardTest),
  limit: z.optional(z.number()),
  span: z.optional(tripSpan),
})

export type GuardHealth = z.infer<typeof guardHealth>
export type GuardRule = z.infer<typeof guardRule>
export type GuardTest = z.infer<typeof guardTest>
export type EvidenceSource = z.infer<typeof evidenceSource>
export type RuleReading = z.infer<typeof ruleReading>
export type GuardFigures = z.infer<typeof guardFigures>
export type TripRecord = z.infer<typeof tripRecord>
export type TripSpan = z.infer<typeof tripSpan>
export type AuditedTrip = z.infer<typeof auditedTrip>
export type GuardSettings = z.infer<typeof guardSettings>
export type LatencySettings = z.infer<typeof latencySettings>
export type StoredGuard = z.infer<typeof storedGuard>
export type GuardDecision = z.infer<typeof guardDecision>
