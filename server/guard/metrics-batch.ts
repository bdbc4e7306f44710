import * as z from 'zod/mini'
import {
  ARMS,
  DURATION_BUCKETS,
  emptyArm,
  fromLegacyCounts,
  REPORTED_METRICS,
  slowCount,
  type ArmCounters,
  type CountedArm,
  type Evidence,
} from '../../sdk/core/metrics.ts'
import { ValidationError } from '../errors.ts'
import { english, parse } from '../validation.ts'
import { MAX_EXPOSURES_PER_BATCH, MAX_FLAGS_PER_BATCH, ValidBatch, type BatchContext } from './batch-shape.ts'
import { readPlainBatch } from './plain-batch.ts'

export { MAX_EXPOSURES_PER_BATCH, MAX_FLAGS_PER_BATCH, type CountedBatch, type ValidBatch } from './batch-shape.ts'

/**
 * The one validation of an SDK's metrics batch, for every transport (HTTP and WebSocket).
 *
 * Limits (documented in the README):
 * - at most MAX_FLAGS_PER_BATCH flags per batch;
 * - per flag, arm and metric, at most MAX_EXPOSURES_PER_BATCH, and no more events (errors, …)
 *   than exposures in an arm;
 * - an arm's optional `durations` histogram has DURATION_BUCKETS counts summing to at most the
 *   arm's exposures (each timed request is one of them);
 * - counts are integers.
 * Counts come per arm by name (`{ canary: { exposures, errors, durations? }, … }`, metrics and
 * arms this server does not know are ignored) or as the four numbers of older SDKs. Either way
 * the result is named evidence (core/metrics.ts): `timed` is the histogram's sum and `slow` the
 * requests slower than the flag's latency bound, when its guard has one. Flags the environment
 * does not have are dropped by the caller (counted, never given state).
 *
 * The batches SDKs send go through a hand-written fast path first (plain-batch.ts), which
 * accepts only what this schema accepts and leaves everything else, errors included, to it.
 */

const count = z.number().check(z.int(), z.minimum(0), z.maximum(MAX_EXPOSURES_PER_BATCH))

/** An arm as reported: its named counters, and the duration histogram if it sent one. */
interface ReportedArm {
  counters: ArmCounters
  durations: number[] | undefined
}
/** A flag's counts as reported, before the latency bound turns histograms into slow counts. */
type Reported = Record<CountedArm, ReportedArm>

/** Events are counted among exposures: never more of them than exposures in one arm. */
const eventsWithin = ({ counters, durations }: ReportedArm, arm: CountedArm) => {
  const over = REPORTED_METRICS.filter((m) => m !== 'exposures' && counters[m] > counters.exposures).map((metric) => ({
    metric: metric as string,
    message: `${arm} ${metric} must not exceed ${arm} exposures`,
  }))
  if (durations && durations.reduce((a, b) => a + b, 0) > counters.exposures)
    over.push({ metric: 'durations', message: `${arm} durations must not add up to more than ${arm} exposures` })
  return over
}

const reportedOf = (evidence: Evidence): Reported =>
  Object.fromEntries(ARMS.map((arm) => [arm, { counters: evidence[arm], durations: undefined }])) as Reported

/** The four numbers of older SDKs: `[canary exposures, canary errors, control exposures, control errors]`. */
const legacyCounts = z.pipe(
  z.tuple([count, count, count, count]).check(
    z.superRefine((tuple, ctx) => {
      const reported = reportedOf(fromLegacyCounts(tuple))
      ARMS.forEach((arm, i) => {
        for (const { message } of eventsWithin(reported[arm], arm)) ctx.addIssue({ code: 'custom', path: [2 * i + 1], message })
      })
    }),
  ),
  z.transform((tuple) => reportedOf(fromLegacyCounts(tuple))),
)

/**
 * One arm's named counters and histogram; names this server does not know are dropped unread,
 * and `timed`/`slow` are never taken from the wire (the server derives them).
 */
const armCounters = z.pipe(
  z.object({
    ...(Object.fromEntries(REPORTED_METRICS.map((m) => [m, z._default(count, 0)])) as Record<(typeof REPORTED_METRICS)[number], z.ZodMiniDefault<typeof count>>),
    durations: z.optional(z.array(count).check(z.length(DURATION_BUCKETS, `must have ${DURATION_BUCKETS} counts (one per bound and one for slower)`))),
  }),
  z.transform(({ durations, ...named }): ReportedArm => ({ counters: { ...emptyArm(), ...named }, durations })),
)

const namedCounts = z.pipe(
  z.object(Object.fromEntries(ARMS.map((arm) => [arm, z.optional(armCounters)])) as Record<CountedArm, z.ZodMiniOptional<typeof armCounters>>),
  z.transform(
    (arms): Reported => Object.fromEntries(ARMS.map((arm) => [arm, arms[arm] ?? { counters: emptyArm(), durations: undefined }])) as Reported,
  ),
)

/**
 * An array is the older SDKs' four numbers, anything else named counters: each form reports its
 * own issues (in English, as `parse` words the rest: the inner parse does not inherit its map).
 */
const flagCounts = z.transform((value: unknown, ctx): Reported => {
  const result = z.safeParse(Array.isArray(value) ? legacyCounts : namedCounts, value, { error: english })
  if (result.success) return result.data
  for (const issue of result.error.issues) ctx.issues.push({ code: 'custom', message: issue.message, path: issue.path, input: value })
  return z.NEVER
})

export const metricsBatchSchema = z.strictObject({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  // zod 4 numbers are finite: Infinity and NaN are refused as they were by `.finite()`.
  start: z.number(),
  end: z.number(),
  flags: z
    .record(z.string().check(z.minLength(1), z.maxLength(128)), flagCounts)
    .check(z.refine((flags) => Object.keys(flags).length <= MAX_FLAGS_PER_BATCH, `at most ${MAX_FLAGS_PER_BATCH} flags per batch`)),
})

const wrapped = z.object({ batch: metricsBatchSchema })

/**
 * A flag's evidence from what it reported: `timed` is the histogram's sum, `slow` the requests
 * slower than `slowerThanMs` (none without a latency bound: nothing is slow then).
 */
function evidenceOf(reported: Reported, slowerThanMs: number | undefined): Evidence {
  const out = {} as Evidence
  for (const arm of ARMS) {
    const { counters, durations } = reported[arm]
    out[arm] = durations
      ? { ...counters, timed: durations.reduce((a, b) => a + b, 0), slow: slowerThanMs === undefined ? 0 : slowCount(durations, slowerThanMs) }
      : counters
  }
  return out
}

/**
 * Validates `value` as a batch (throws ValidationError naming the field, e.g.
 * `batch.flags.checkout.canary.errors: canary errors must not exceed canary exposures`) and keeps
 * only flags for which `flagExists` holds. `slowerThanMs` gives a flag's latency bound (its
 * guard's `latency.slowerThanMs`), which decides which of its reported durations count as slow.
 * `lateEvents` lets errors and durations exceed an arm's exposures in this batch (a client key's
 * events recorded after the flush that carried their exposure; `ClientCredit` bounds them by the
 * exposures that connection reported before). Server keys carry such events to a batch with
 * exposures (SPEC.md), so for them more events than exposures is an impossible batch, refused.
 */
export function validateBatch(
  value: unknown,
  flagExists: (flag: string) => boolean,
  slowerThanMs: (flag: string) => number | undefined = () => undefined,
  lateEvents = false,
): ValidBatch {
  const context = { flagExists, slowerThanMs, lateEvents }
  return readPlainBatch(value, context) ?? validateBatchBySchema(value, context)
}

/** `validateBatch` by the schema alone: what decides every batch the fast path leaves to it. */
export function validateBatchBySchema(value: unknown, { flagExists, slowerThanMs, lateEvents }: BatchContext): ValidBatch {
  // Wrapped so every message names its field from `batch.` down, whatever the transport.
  const { batch } = parse(wrapped, { batch: value })
  if (!lateEvents) refuseEventsOverExposures(batch.flags)
  const flags: Record<string, Evidence> = {}
  let unknownFlags = 0
  for (const [flag, reported] of Object.entries(batch.flags)) {
    flags[flag] = evidenceOf(reported, slowerThanMs(flag))
    if (!flagExists(flag)) unknownFlags++
  }
  return new ValidBatch({ ...batch, flags }, unknownFlags, flagExists)
}

/** The named form's events-within-exposures rule (the older four numbers are checked as parsed). */
function refuseEventsOverExposures(flags: Record<string, Reported>) {
  const issues = Object.entries(flags).flatMap(([flag, reported]) =>
    ARMS.flatMap((arm) => eventsWithin(reported[arm], arm).map(({ metric, message }) => ({ field: `batch.flags.${flag}.${arm}.${metric}`, message }))),
  )
  if (issues.length) throw new ValidationError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues })
}
