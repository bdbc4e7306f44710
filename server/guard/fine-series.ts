import { COUNTERS, flatToPacked, packedToFlat, type FlatCounts } from '../../sdk/core/metrics.ts'

/** A flag's counts since its tests started, as the guard's figures carry them (flat names). */
export type CumulativeCounts = { since: number } & FlatCounts

/** One ten-second row as the API shows it: the bucket's start (`minute`, as the minute rows) and its counts. */
export type FineRow = { minute: number } & FlatCounts

/**
 * The rows as plain data, for the stored evidence: the last cumulative reading (counters in
 * `COUNTERS` order, so a new metric's counters join without a new shape) and the buckets.
 */
export interface FineSeriesJson {
  last: [since: number, ...counters: number[]] | null
  rows: Array<[start: number, ...counters: number[]]>
}

const BUCKET_MS = 10_000
const KEEP_MS = 15 * 60_000

/**
 * Ten-second rows of one guarded flag's counts over the last minutes, for the chart of a canary
 * that has just started (the stored aggregate is per minute, which gives a new canary two or
 * three points). Fed with the guard's cumulative counts each time its tests take a second; the
 * difference from the previous reading lands in the current bucket. Part of the guard's saved
 * evidence, so a restart keeps them.
 *
 * @example
 * const fine = new FineSeries()
 * fine.record(evidence.counts(), Date.now())
 * fine.rows(Date.now() - 15 * 60_000)
 */
export class FineSeries {
  static readonly bucketMs = BUCKET_MS
  private last: Float64Array | null = null
  private lastSince = 0
  private readonly buckets = new Map<number, Float64Array>()

  constructor(private readonly keepMs = KEEP_MS) {}

  record(counts: CumulativeCounts, now: number): void {
    const packed = flatToPacked(counts)
    // A new test (flag turned on, settings changed) starts its counts afresh: all of it is new.
    const base = this.last && this.lastSince === counts.since ? this.last : null
    const delta = packed.map((v, i) => v - (base?.[i] ?? 0))
    this.last = packed
    this.lastSince = counts.since
    if (delta.every((d) => d === 0) || delta.some((d) => d < 0)) return
    const start = Math.floor(now / BUCKET_MS) * BUCKET_MS
    const row = this.buckets.get(start) ?? new Float64Array(COUNTERS.length)
    delta.forEach((d, i) => (row[i]! += d))
    this.buckets.set(start, row)
    for (const at of this.buckets.keys()) if (at < now - this.keepMs) this.buckets.delete(at)
  }

  /** Rows from `fromMs` on, oldest first. */
  rows(fromMs: number): FineRow[] {
    return [...this.buckets.entries()]
      .filter(([at]) => at >= fromMs)
      .sort(([a], [b]) => a - b)
      .map(([minute, counts]) => ({ minute, ...packedToFlat(counts) }))
  }

  toJSON(): FineSeriesJson {
    return {
      last: this.last && [this.lastSince, ...this.last],
      rows: [...this.buckets.entries()].map(([start, counts]) => [start, ...counts]),
    }
  }

  /** The rows saved by `toJSON` (a missing counter reads as 0). */
  static from(json: FineSeriesJson): FineSeries {
    const fine = new FineSeries()
    const packed = (counters: number[]) => Float64Array.from(COUNTERS, (_, i) => counters[i] ?? 0)
    if (json.last) {
      const [since, ...counters] = json.last
      fine.last = packed(counters)
      fine.lastSince = since
    }
    for (const [start, ...counters] of json.rows) fine.buckets.set(start, packed(counters))
    return fine
  }
}
