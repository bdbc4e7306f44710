import { batchKey, PendingBatches } from '../store/batch-group.ts'
import type { Store } from '../store/contract.ts'
import type { CountedBatch } from './metrics-batch.ts'

/** How long batch ids stay in memory for de-duplication; older resends are checked in SQLite. */
const RECENT_MS = 15 * 60_000

/**
 * Accepts each SDK batch once and persists accepted batches in groups. The guard's windows are
 * updated at once from memory; the per-minute aggregates reach SQLite within `flushMs`, so one
 * fsync covers hundreds of batches instead of one each (about 130 batches/s with one
 * transaction per batch on this kind of disk). A crash can lose at most the last `flushMs` of
 * chart counts — never a flag change, which commits on its own. A batch's counts are added to
 * the pending minute sums as it is accepted (`PendingBatches`): only its id waits for the flush.
 */
export function createBatchIntake(
  metrics: Store['metrics'],
  options: {
    flushMs?: number
    log: (m: string, e?: unknown) => void
    /**
     * `process` (default, one SQLite server): ids are checked in memory and in the database,
     * and written with the counts in groups. `cluster` (replicas): each id is claimed in the
     * database at once (`acceptBatch`), so a batch resent to another replica is refused there.
     */
    oncePer?: 'process' | 'cluster'
  },
) {
  let recent = new Set<string>()
  let previous = new Set<string>()
  let rotatedAt = 0
  const pending = new PendingBatches()
  let flushing: Promise<void> | undefined

  async function store(): Promise<void> {
    for (let group = pending.take(); group !== undefined; group = pending.take()) {
      try {
        await metrics.storeBatches(group)
      } catch (error) {
        // Keep them for the next flush: the counts are already in the live evidence.
        pending.restore(group)
        options.log('storing guard counts failed; will retry', error)
        return
      }
    }
  }

  /** Stores what is pending; one flush at a time, and a caller always waits for its own counts. */
  function flush(): Promise<void> {
    flushing ??= store().finally(() => (flushing = undefined))
    return flushing
  }

  const timer = setInterval(() => void flush(), options.flushMs ?? 250)
  timer.unref()

  return {
    /** True when the batch is new (and now accepted); false for a resend of a known id. */
    async accept(envKey: string, batch: CountedBatch, now: number): Promise<boolean> {
      if (now - rotatedAt > RECENT_MS) {
        previous = recent
        recent = new Set()
        rotatedAt = now
      }
      const id = batchKey(envKey, batch.id)
      if (recent.has(id) || previous.has(id)) return false
      // Claimed before the read, so a resend racing this one is refused too.
      recent.add(id)
      if (options.oncePer === 'cluster') {
        if (!(await metrics.acceptBatch(envKey, batch.id, now))) return false
      } else if (await metrics.hasBatch(envKey, batch.id)) return false
      pending.add(envKey, batch, now, id)
      return true
    },
    flush,
    async close(): Promise<void> {
      clearInterval(timer)
      await flush()
    },
  }
}

export type BatchIntake = ReturnType<typeof createBatchIntake>
