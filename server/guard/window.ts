import { addPacked, COUNTERS, emptyEvidence, toFlatCounts, type Evidence, type FlatCounts } from '../../sdk/core/metrics.ts'

/**
 * The recent figures shown beside the guard's statistics (the guard's `windowSeconds`): what
 * people read as "the last minute". The decision does not use them; it uses the counts since
 * the start (see decide.ts).
 */

/** Longest window a guard may use; the ring holds this many one-second buckets. */
export const MAX_WINDOW_SECONDS = 600

/** Counters per bucket: one per (arm, metric), in `COUNTERS` order. */
const STRIDE = COUNTERS.length

/**
 * A sliding window of one-second buckets (a ring of MAX_WINDOW_SECONDS slots, one counter per
 * (arm, metric) each). Adding and summing cost O(window), with no allocation per batch.
 */
export class SlidingWindow {
  private readonly counts = new Float64Array(MAX_WINDOW_SECONDS * STRIDE)
  /** The second each slot currently holds; a slot from an older second is stale. */
  private readonly seconds = new Float64Array(MAX_WINDOW_SECONDS).fill(-1)

  add(counts: Evidence, atMs: number): void {
    addPacked(this.counts, counts, this.bucket(atMs))
  }

  /** The counters' start of `atMs`'s second, emptied first when the slot held an older second. */
  private bucket(atMs: number): number {
    const second = Math.floor(atMs / 1000)
    const slot = second % MAX_WINDOW_SECONDS
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second
      this.counts.fill(0, slot * STRIDE, slot * STRIDE + STRIDE)
    }
    return slot * STRIDE
  }

  /** Totals over the last `windowSeconds` seconds up to and including `nowMs`'s second. */
  totals(nowMs: number, windowSeconds: number): FlatCounts {
    const now = Math.floor(nowMs / 1000)
    const span = Math.min(windowSeconds, MAX_WINDOW_SECONDS)
    const t = emptyEvidence()
    for (let s = now - span + 1; s <= now; s++) {
      const slot = ((s % MAX_WINDOW_SECONDS) + MAX_WINDOW_SECONDS) % MAX_WINDOW_SECONDS
      if (this.seconds[slot] !== s) continue
      COUNTERS.forEach(([arm, metric], i) => (t[arm][metric] += this.counts[slot * STRIDE + i]!))
    }
    return toFlatCounts(t)
  }

  clear(): void {
    this.seconds.fill(-1)
  }

  /** The seconds still inside the ring at `nowMs`, as plain data. */
  buckets(nowMs: number): WindowBuckets {
    const now = Math.floor(nowMs / 1000)
    const out: WindowBuckets = []
    for (let slot = 0; slot < MAX_WINDOW_SECONDS; slot++) {
      const second = this.seconds[slot]!
      if (second < 0 || second <= now - MAX_WINDOW_SECONDS) continue
      out.push([second, ...this.counts.subarray(slot * STRIDE, slot * STRIDE + STRIDE)])
    }
    return out
  }

  /** A window holding `buckets` (from `buckets()` of another replica's window). */
  static from(buckets: WindowBuckets): SlidingWindow {
    const window = new SlidingWindow()
    for (const [second, ...counts] of buckets) {
      const at = window.bucket(second * 1000)
      COUNTERS.forEach((_, i) => (window.counts[at + i]! += counts[i] ?? 0))
    }
    return window
  }
}


/**
 * A window's non-empty seconds as plain data, for replicas to share: `[second, ...counters]`,
 * the counters in `COUNTERS` order (canary exposures, canary errors, control exposures, control
 * errors today; a new metric's counters join its arm, and a missing counter reads as 0).
 */
export type WindowBuckets = Array<[second: number, ...counters: number[]]>
