import type { Evidence } from '../../sdk/core/metrics.ts'
import type { MetricsBatch } from '../../sdk/core/protocol.ts'

/** At most this many flags in one batch. */
export const MAX_FLAGS_PER_BATCH = 10_000
/** Per flag, arm and metric, at most this many in one batch. */
export const MAX_EXPOSURES_PER_BATCH = 10_000_000

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

/** What a validation needs to know about the environment and the sender (see `validateBatch`). */
export interface BatchContext {
  flagExists: (flag: string) => boolean
  slowerThanMs: (flag: string) => number | undefined
  lateEvents: boolean
}
