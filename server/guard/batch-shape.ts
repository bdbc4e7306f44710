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

/** What a validation needs to know about the environment and the sender (see `validateBatch`). */
export interface BatchContext {
  flagExists: (flag: string) => boolean
  slowerThanMs: (flag: string) => number | undefined
  lateEvents: boolean
}

/** A batch's counts, the number of its flags the environment does not have, and (on demand) the ones it has. */
export class ValidBatch {
  constructor(
    readonly batch: CountedBatch,
    readonly unknownFlags: number,
    private readonly flagExists: BatchContext['flagExists'],
  ) {}

  /**
   * The flags the environment has, with their counts, in the batch's order. Built when asked:
   * the usual batch (a server key's, every flag known) is stored as it is and never needs it.
   */
  get known(): Array<[flag: string, counts: Evidence]> {
    const known: Array<[string, Evidence]> = []
    for (const flag in this.batch.flags) if (this.flagExists(flag)) known.push([flag, this.batch.flags[flag]!])
    return known
  }
}
