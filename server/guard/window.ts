import type { FlagCounts } from '../../sdk/core/protocol.ts'
import type { ArmCounts } from './sequential.ts'

/**
 * The recent figures shown beside the guard's statistics (the guard's `windowSeconds`): what
 * people read as "the last minute". The decision does not use them; it uses the counts since
 * the start (see decide.ts).
 */

/** Longest window a guard may use; the ring holds this many one-second buckets. */
export const MAX_WINDOW_SECONDS = 600

/**
 * A sliding window of one-second buckets (a ring of MAX_WINDOW_SECONDS slots, four counters
 * each). Adding and summing cost O(window), with no allocation per batch.
 */
export class SlidingWindow {
  private readonly counts = new Float64Array(MAX_WINDOW_SECONDS * 4)
  /** The second each slot currently holds; a slot from an older second is stale. */
  private readonly seconds = new Float64Array(MAX_WINDOW_SECONDS).fill(-1)

  add(counts: FlagCounts, atMs: number): void {
    const second = Math.floor(atMs / 1000)
    const slot = second % MAX_WINDOW_SECONDS
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second
      this.counts.fill(0, slot * 4, slot * 4 + 4)
    }
    for (let i = 0; i < 4; i++) this.counts[slot * 4 + i]! += counts[i]!
  }

  /** Totals over the last `windowSeconds` seconds up to and including `nowMs`'s second. */
  totals(nowMs: number, windowSeconds: number): ArmCounts {
    const now = Math.floor(nowMs / 1000)
    const span = Math.min(windowSeconds, MAX_WINDOW_SECONDS)
    const t = [0, 0, 0, 0]
    for (let s = now - span + 1; s <= now; s++) {
      const slot = ((s % MAX_WINDOW_SECONDS) + MAX_WINDOW_SECONDS) % MAX_WINDOW_SECONDS
      if (this.seconds[slot] !== s) continue
      for (let i = 0; i < 4; i++) t[i]! += this.counts[slot * 4 + i]!
    }
    return { canaryExposures: t[0]!, canaryErrors: t[1]!, controlExposures: t[2]!, controlErrors: t[3]! }
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
      const c = this.counts
      out.push([second, c[slot * 4]!, c[slot * 4 + 1]!, c[slot * 4 + 2]!, c[slot * 4 + 3]!])
    }
    return out
  }

  /** A window holding `buckets` (from `buckets()` of another replica's window). */
  static from(buckets: WindowBuckets): SlidingWindow {
    const window = new SlidingWindow()
    for (const [second, ...counts] of buckets) window.add(counts, second * 1000)
    return window
  }
}


/** A window's non-empty seconds as plain data (`[second, ce, cx, ke, kx]`), for replicas to share. */
export type WindowBuckets = Array<[second: number, ce: number, cx: number, ke: number, kx: number]>
