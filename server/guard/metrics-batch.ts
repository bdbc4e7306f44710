import { z } from 'zod'
import type { FlagCounts, MetricsBatch } from '../../sdk/core/protocol.ts'
import { parse } from '../validation.ts'

/**
 * The one validation of an SDK's metrics batch, for every transport (HTTP and WebSocket).
 *
 * Limits (documented in the README):
 * - at most MAX_FLAGS_PER_BATCH flags per batch;
 * - per flag and arm, at most MAX_EXPOSURES_PER_BATCH exposures, and `0 ≤ errors ≤ exposures`;
 * - counts are integers.
 * Flags the environment does not have are dropped by the caller (counted, never given state).
 */
export const MAX_FLAGS_PER_BATCH = 10_000
export const MAX_EXPOSURES_PER_BATCH = 10_000_000

const count = z.number().int().min(0).max(MAX_EXPOSURES_PER_BATCH)

const flagCounts = z
  .tuple([count, count, count, count])
  .superRefine(([canaryExposures, canaryErrors, controlExposures, controlErrors], ctx) => {
    if (canaryErrors > canaryExposures)
      ctx.addIssue({ code: 'custom', path: [1], message: 'canary errors must not exceed canary exposures' })
    if (controlErrors > controlExposures)
      ctx.addIssue({ code: 'custom', path: [3], message: 'control errors must not exceed control exposures' })
  })

export const metricsBatchSchema = z.strictObject({
  id: z.string().min(1).max(128),
  start: z.number().finite(),
  end: z.number().finite(),
  flags: z
    .record(z.string().min(1).max(128), flagCounts)
    .refine((flags) => Object.keys(flags).length <= MAX_FLAGS_PER_BATCH, {
      message: `at most ${MAX_FLAGS_PER_BATCH} flags per batch`,
    }),
})

const wrapped = z.object({ batch: metricsBatchSchema })

/** A batch's counts split into the flags the environment has and the number it does not. */
export interface ValidBatch {
  batch: MetricsBatch
  known: Array<[flag: string, counts: FlagCounts]>
  unknownFlags: number
}

/**
 * Validates `value` as a batch (throws ValidationError naming the field, e.g.
 * `batch.flags.checkout.1: canary errors must not exceed canary exposures`) and keeps only
 * flags for which `flagExists` holds.
 */
export function validateBatch(value: unknown, flagExists: (flag: string) => boolean): ValidBatch {
  // Wrapped so every message names its field from `batch.` down, whatever the transport.
  const { batch } = parse(wrapped, { batch: value }) as { batch: MetricsBatch }
  const known: ValidBatch['known'] = []
  let unknownFlags = 0
  for (const [flag, counts] of Object.entries(batch.flags)) {
    if (flagExists(flag)) known.push([flag, counts])
    else unknownFlags++
  }
  return { batch, known, unknownFlags }
}
