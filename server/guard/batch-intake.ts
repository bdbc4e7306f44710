import type { MetricsBatch } from '../../sdk/core/protocol.ts'
import type { MetricsStore } from '../store/metrics-store.ts'

/** How long batch ids stay in memory for de-duplication; older resends are checked in SQLite. */
const RECENT_MS = 15 * 60_000

/**
 * Accepts each SDK batch once and persists accepted batches in groups. The guard's windows are
 * updated at once from memory; the per-minute aggregates reach SQLite within `flushMs`, so one
 * fsync covers hundreds of batches instead of one each (about 130 batches/s with one
 * transaction per batch on this kind of disk). A crash can lose at most the last `flushMs` of
 * chart counts — never a flag change, which commits on its own.
 */
export function createBatchIntake(metrics: MetricsStore, options: { flushMs?: number; log: (m: string, e?: unknown) => void }) {
  let recent = new Set<string>()
  let previous = new Set<string>()
  let rotatedAt = 0
  let pending: Array<{ envKey: string; batch: MetricsBatch; receivedAt: number }> = []

  function flush(): void {
    if (pending.length === 0) return
    const entries = pending
    pending = []
    try {
      metrics.storeBatches(entries)
    } catch (error) {
      // Keep them for the next flush: the counts are already in the live windows.
      pending = entries.concat(pending)
      options.log('storing guard counts failed; will retry', error)
    }
  }

  const timer = setInterval(flush, options.flushMs ?? 250)
  timer.unref()

  return {
    /** True when the batch is new (and now accepted); false for a resend of a known id. */
    accept(envKey: string, batch: MetricsBatch, now: number): boolean {
      if (now - rotatedAt > RECENT_MS) {
        previous = recent
        recent = new Set()
        rotatedAt = now
      }
      const id = `${envKey}:${batch.id}`
      if (recent.has(id) || previous.has(id) || metrics.hasBatch(envKey, batch.id)) return false
      recent.add(id)
      pending.push({ envKey, batch, receivedAt: now })
      return true
    },
    flush,
    close(): void {
      clearInterval(timer)
      flush()
    },
  }
}

export type BatchIntake = ReturnType<typeof createBatchIntake>
