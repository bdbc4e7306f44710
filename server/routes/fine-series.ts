import type { MetricsRow } from '../../api-shapes/index.ts'
import { COUNTERS, flatName, fromFlatCounts, toFlatCounts, type FlatCounts } from '../../sdk/core/metrics.ts'

/** Counts since the guard's tests started, as its figures carry them. */
export type CumulativeCounts = FlatCounts & { since: number }

/** Every counter's flat name (`canaryExposures`, …, `controlSlow`). */
const FIELDS = COUNTERS.map(([arm, metric]) => flatName(arm, metric) as keyof FlatCounts)

/**
 * Ten-second rows of a guarded flag's counts over the last minutes, for the chart of a canary
 * that has just started (the stored aggregate is per minute, which gives a new canary two or
 * three points). Fed with the guard's cumulative figures each time they move; the difference
 * from the previous reading lands in the current bucket. Kept in memory only: after a restart,
 * or on a server whose guard did not see the counts, there are none and the chart uses minutes.
 *
 * @example
 * const fine = createFineSeries({ now: Date.now })
 * fine.record('production', 'checkout', figures)
 * fine.rows('production', 'checkout', Date.now() - 15 * 60_000)
 */
export function createFineSeries(options: { now: () => number; bucketMs?: number; keepMs?: number }) {
  const bucketMs = options.bucketMs ?? 10_000
  const keepMs = options.keepMs ?? 15 * 60_000
  const last = new Map<string, CumulativeCounts>()
  const buckets = new Map<string, Map<number, MetricsRow>>()
  const keyOf = (env: string, flag: string) => `${env}\u0000${flag}`

  return {
    bucketMs,
    record(env: string, flag: string, counts: CumulativeCounts): void {
      const key = keyOf(env, flag)
      const previous = last.get(key)
      last.set(key, { ...counts })
      // A new test (flag turned on, settings changed) starts its counts afresh: all of it is new.
      const base = previous && previous.since === counts.since ? previous : undefined
      const delta = FIELDS.map((f) => counts[f] - (base?.[f] ?? 0))
      if (delta.every((d) => d === 0) || delta.some((d) => d < 0)) return
      const now = options.now()
      const start = Math.floor(now / bucketMs) * bucketMs
      let rows = buckets.get(key)
      if (!rows) buckets.set(key, (rows = new Map()))
      const row = rows.get(start) ?? { minute: start, ...toFlatCounts(fromFlatCounts({})) }
      FIELDS.forEach((f, i) => (row[f] += delta[i]!))
      rows.set(start, row)
      for (const at of rows.keys()) if (at < now - keepMs) rows.delete(at)
    },
    /** Rows from `fromMs` on, oldest first; empty when this server saw no counts. */
    rows(env: string, flag: string, fromMs: number): MetricsRow[] {
      const rows = buckets.get(keyOf(env, flag))
      if (!rows) return []
      return [...rows.values()].filter((r) => r.minute >= fromMs).sort((a, b) => a.minute - b.minute)
    },
  }
}

export type FineSeries = ReturnType<typeof createFineSeries>
