/** Small order statistics for benchmark samples (few values, so sorting a copy is fine). */

/** Linear-interpolated quantile, `q` in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

export const median = (values: readonly number[]) => quantile(values, 0.5)

export interface Summary {
  median: number
  min: number
  max: number
  q1: number
  q3: number
  n: number
}

export function summarize(values: readonly number[]): Summary {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75),
    n: values.length,
  }
}
