import * as z from 'zod/mini'
import { ARMS, METRICS, fromLegacyCounts, type ArmCounters, type CountedArm, type Evidence } from '../../sdk/core/metrics.ts'
import type { MetricsBatch } from '../../sdk/core/protocol.ts'
import { english, parse } from '../validation.ts'

/**
 * The one validation of an SDK's metrics batch, for every transport (HTTP and WebSocket).
 *
 * Limits (documented in the README):
 * - at most MAX_FLAGS_PER_BATCH flags per batch;
 * - per flag, arm and metric, at most MAX_EXPOSURES_PER_BATCH, and no more events (errors, …)
 *   than exposures in an arm;
 * - counts are integers.
 * Counts come per arm by name (`{ canary: { exposures, errors }, … }`, metrics and arms this
 * server does not know are ignored) or as the four numbers of older SDKs. Either way the result
 * is named evidence (core/metrics.ts). Flags the environment does not have are dropped by the
 * caller (counted, never given state).
 */
export const MAX_FLAGS_PER_BATCH = 10_000
export const MAX_EXPOSURES_PER_BATCH = 10_000_000

const count = z.number().check(z.int(), z.minimum(0), z.maximum(MAX_EXPOSURES_PER_BATCH))

/** Events are counted among exposures: never more of them than exposures in one arm. */
const eventsWithin = (counters: ArmCounters, arm: CountedArm) =>
  METRICS.filter((m) => m !== 'exposures' && counters[m] > counters.exposures).map((metric) => ({
    metric,
    message: `${arm} ${metric} must not exceed ${arm} exposures`,
  }))

/** The four numbers of older SDKs: `[canary exposures, canary errors, control exposures, control errors]`. */
const legacyCounts = z.pipe(
  z.tuple([count, count, count, count]).check(
    z.superRefine((tuple, ctx) => {
      const evidence = fromLegacyCounts(tuple)
      ARMS.forEach((arm, i) => {
        for (const { message } of eventsWithin(evidence[arm], arm)) ctx.addIssue({ code: 'custom', path: [2 * i + 1], message })
      })
    }),
  ),
  z.transform(fromLegacyCounts),
)

/** One arm's named counters; names this server does not know are dropped unread. */
const armCounters = z.pipe(
  z.object(Object.fromEntries(METRICS.map((m) => [m, z._default(count, 0)])) as Record<(typeof METRICS)[number], z.ZodMiniDefault<typeof count>>),
  z.transform((counters) => counters as ArmCounters),
)

const namedCounts = z.pipe(
  z.object(Object.fromEntries(ARMS.map((arm) => [arm, z.optional(armCounters)])) as Record<CountedArm, z.ZodMiniOptional<typeof armCounters>>).check(
    z.superRefine((arms, ctx) => {
      for (const arm of ARMS) {
        const counters = arms[arm]
        if (counters) for (const { metric, message } of eventsWithin(counters, arm)) ctx.addIssue({ code: 'custom', path: [arm, metric], message })
      }
    }),
  ),
  z.transform((arms): Evidence => {
    const empty = () => Object.fromEntries(METRICS.map((m) => [m, 0])) as ArmCounters
    return Object.fromEntries(ARMS.map((arm) => [arm, arms[arm] ?? empty()])) as Evidence
  }),
)

/**
 * An array is the older SDKs' four numbers, anything else named counters: each form reports its
 * own issues (in English, as `parse` words the rest: the inner parse does not inherit its map).
 */
const flagCounts = z.transform((value: unknown, ctx): Evidence => {
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

/** A batch after validation: every flag's counts as named evidence. */
export interface CountedBatch extends Omit<MetricsBatch, 'flags'> {
  flags: Record<string, Evidence>
}

/** A batch's counts split into the flags the environment has and the number it does not. */
export interface ValidBatch {
  batch: CountedBatch
  known: Array<[flag: string, counts: Evidence]>
  unknownFlags: number
}

/**
 * Validates `value` as a batch (throws ValidationError naming the field, e.g.
 * `batch.flags.checkout.1: canary errors must not exceed canary exposures`) and keeps only
 * flags for which `flagExists` holds.
 */
export function validateBatch(value: unknown, flagExists: (flag: string) => boolean): ValidBatch {
  // Wrapped so every message names its field from `batch.` down, whatever the transport.
  const { batch } = parse(wrapped, { batch: value })
  const known: ValidBatch['known'] = []
  let unknownFlags = 0
  for (const [flag, counts] of Object.entries(batch.flags)) {
    if (flagExists(flag)) known.push([flag, counts])
    else unknownFlags++
  }
  return { batch, known, unknownFlags }
}
