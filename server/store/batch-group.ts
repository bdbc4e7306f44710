import { addPacked, COUNTERS, REPORTED_METRICS, type Evidence } from '../../sdk/core/metrics.ts'
import type { BatchGroup, BatchIdRow, MinuteCount, StoredBatch } from './contract.ts'

const MINUTE = 60_000

/** The id under which a batch is claimed once per environment. */
export const batchKey = (envKey: string, batchId: string) => `${envKey}:${batchId}`

/** Duration counters (timed, slow) are stored only where there are some; the reported ones always. */
const ALWAYS_STORED = COUNTERS.map(([, metric]) => (REPORTED_METRICS as readonly string[]).includes(metric))

const byText = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0)

/** One environment's minute: its flags' sums, packed in `COUNTERS` order. */
interface MinuteGroup {
  envKey: string
  minute: number
  flags: Map<string, Float64Array>
}

/**
 * Accepted batches on their way to the database, folded as they arrive: each batch's counts
 * are added to its (environment, minute, flag) sums at once and only its id is kept, so a batch's
 * evidence objects die young instead of waiting for the group commit (at thousands of batches a
 * second, keeping them for a flush interval made the garbage collector copy and promote them).
 * `take` hands over what was added as one `BatchGroup` and starts empty again.
 */
export class PendingBatches {
  private ids: BatchIdRow[] = []
  private groups = new Map<string, MinuteGroup>()
  /** The group the last batch went to: consecutive batches of one environment and minute skip the lookup. */
  private last: MinuteGroup | undefined

  /** Batches added since the last `take`. */
  get size(): number {
    return this.ids.length
  }

  /** `key` is the batch's `batchKey`, when the caller made it already. */
  add(envKey: string, batch: { id: string; flags: Record<string, Evidence> }, receivedAt: number, key = batchKey(envKey, batch.id)): void {
    this.ids.push({ id: key, envKey, receivedAt })
    const group = this.groupOf(envKey, Math.floor(receivedAt / MINUTE) * MINUTE)
    for (const flagKey in batch.flags) addPacked(this.sumOf(group, flagKey), batch.flags[flagKey]!)
  }

  /** Puts back a group that could not be stored (its ids and counts), to go with the next one. */
  restore(group: BatchGroup): void {
    this.ids.push(...group.ids)
    for (const row of group.counts) {
      const i = COUNTERS.findIndex(([arm, metric]) => arm === row.arm && metric === row.metric)
      if (i >= 0) this.sumOf(this.groupOf(row.envKey, row.minute), row.flagKey)[i]! += row.count
    }
  }

  /** Everything added so far, sorted (see `BatchGroup`); undefined when nothing was. */
  take(): BatchGroup | undefined {
    if (this.ids.length === 0) return undefined
    const ids = new Map(this.ids.map((row) => [row.id, row] as [string, BatchIdRow]))
    const rows: Array<[string, MinuteCount]> = []
    for (const { envKey, minute, flags } of this.groups.values())
      for (const [flagKey, sums] of flags)
        COUNTERS.forEach(([arm, metric], i) => {
          const count = sums[i]!
          // Zero counters are stored too (a minute with reports shows), except durations.
          if (count !== 0 || ALWAYS_STORED[i]) rows.push([JSON.stringify([envKey, flagKey, minute, arm, metric]), { envKey, flagKey, minute, arm, metric, count }])
        })
    this.ids = []
    this.groups = new Map()
    this.last = undefined
    return { ids: [...ids.entries()].sort(byText).map(([, row]) => row), counts: rows.sort(byText).map(([, row]) => row) }
  }

  private groupOf(envKey: string, minute: number): MinuteGroup {
    const last = this.last
    if (last !== undefined && last.envKey === envKey && last.minute === minute) return last
    const groupId = `${envKey}\u0000${minute}`
    let group = this.groups.get(groupId)
    if (group === undefined) this.groups.set(groupId, (group = { envKey, minute, flags: new Map() }))
    this.last = group
    return group
  }

  private sumOf(group: MinuteGroup, flagKey: string): Float64Array {
    let sums = group.flags.get(flagKey)
    if (sums === undefined) group.flags.set(flagKey, (sums = new Float64Array(COUNTERS.length)))
    return sums
  }
}

/**
 * The group of some stored-batch entries: each id once (the last entry's time wins), sorted,
 * and the per-minute sums, one row per (environment, flag, minute, arm, metric), sorted. Both
 * dialects add these rows to the stored aggregates: one upsert may not touch a row twice, and
 * writers adding to the same rows in the same order queue behind each other instead of
 * deadlocking.
 */
export function groupOf(entries: readonly StoredBatch[]): BatchGroup {
  const pending = new PendingBatches()
  for (const { envKey, batch, receivedAt } of entries) pending.add(envKey, batch, receivedAt)
  return pending.take() ?? { ids: [], counts: [] }
}
