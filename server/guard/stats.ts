/**
 * The guard's statistics, pure. One-sided 95% confidence throughout: the guard acts only when
 * the data say, with 95% confidence, that the canary is worse than allowed.
 */

/** z for a one-sided 95% bound. */
export const Z_95_ONE_SIDED = 1.6448536269514722

/**
 * Wilson score interval for `errors` out of `n`: unlike the normal approximation it stays inside
 * [0, 1] and behaves with few errors, which is exactly the canary's early life.
 *
 * @example
 * wilson(3, 10).lower // ≈ 0.123: 30% observed, but 12% is all 10 requests can prove
 */
export function wilson(errors: number, n: number, z = Z_95_ONE_SIDED): { lower: number; upper: number } {
  if (n <= 0) return { lower: 0, upper: 1 }
  const p = errors / n
  const z2 = z * z
  const center = p + z2 / (2 * n)
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  const denom = 1 + z2 / n
  return { lower: Math.max(0, (center - margin) / denom), upper: Math.min(1, (center + margin) / denom) }
}

/**
 * Lower one-sided 95% bound of the ratio of two error rates (canary / control), by the log
 * method (Katz) with a 0.5 continuity correction so zero errors in either arm stay finite.
 */
export function rateRatioLowerBound(
  canary: { errors: number; exposures: number },
  control: { errors: number; exposures: number },
  z = Z_95_ONE_SIDED,
): number {
  if (canary.exposures <= 0 || control.exposures <= 0) return 0
  const x1 = canary.errors + 0.5
  const n1 = canary.exposures + 0.5
  const x2 = control.errors + 0.5
  const n2 = control.exposures + 0.5
  const logRatio = Math.log(x1 / n1 / (x2 / n2))
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
  return Math.exp(logRatio - z * se)
}
