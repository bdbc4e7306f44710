/** Order statistics for the reconnect benchmark. */

/** The value at percentile `p` of ascending `sorted` (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/**
 * The most events in any window of `windowMs` (sliding, anchored at each event), as a rate per
 * second: the busiest stretch the server saw, not an average over the whole reconnect.
 */
export function peakRate(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let lo = 0, hi = 0; lo < sorted.length; lo++) {
    while (hi < sorted.length && sorted[hi]! < sorted[lo]! + windowMs) hi++
    most = Math.max(most, hi - lo)
  }
  return (most * 1000) / windowMs
}
