import type { MinuteCounts } from '../api/types.ts'

/** One point of an error-rate line: minute start and errors / exposures of one arm. */
export interface RatePoint {
  at: number
  rate: number
  exposures: number
}

export interface ChartSeries {
  canary: RatePoint[]
  control: RatePoint[]
}

/** Per-minute error rates of both arms; minutes without exposures in an arm are gaps, not 0%. */
export function rateSeries(minutes: readonly MinuteCounts[]): ChartSeries {
  const arm = (exposures: (m: MinuteCounts) => number, errors: (m: MinuteCounts) => number) =>
    minutes
      .filter((m) => exposures(m) > 0)
      .map((m) => ({ at: m.minute, rate: errors(m) / exposures(m), exposures: exposures(m) }))
  return {
    canary: arm(
      (m) => m.canaryExposures,
      (m) => m.canaryErrors,
    ),
    control: arm(
      (m) => m.controlExposures,
      (m) => m.controlErrors,
    ),
  }
}

/**
 * The top of the rate axis: room above the limit and the highest rate, rounded to a readable
 * step, never above 100%.
 */
export function rateCeiling(limit: number | null, rates: readonly number[]): number {
  const highest = Math.max(limit === null ? 0 : limit * 1.5, ...rates, 0.01)
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1]
  return steps.find((s) => s >= highest) ?? 1
}

/** A linear map from [d0, d1] to [r0, r1]. */
export const scale = (d0: number, d1: number, r0: number, r1: number) => (v: number) =>
  d1 === d0 ? r0 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0)

/** SVG path through the points, breaking the line where minutes are missing. */
export function linePath(
  points: readonly RatePoint[],
  x: (at: number) => number,
  y: (rate: number) => number,
  gapMs = 60_000,
): string {
  let path = ''
  let previous: RatePoint | undefined
  for (const p of points) {
    const move = !previous || p.at - previous.at > gapMs
    path += `${move ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p.rate).toFixed(1)}`
    previous = p
  }
  return path
}

const MINUTE = 60_000

/** The spans a person can pick; the first that holds all the data is the default. */
export const CHART_SPANS = [
  { span: '15m', ms: 15 * MINUTE, label: '15 min', tickMs: 5 * MINUTE },
  { span: '1h', ms: 60 * MINUTE, label: '1 h', tickMs: 15 * MINUTE },
  { span: '6h', ms: 360 * MINUTE, label: '6 h', tickMs: 60 * MINUTE },
  { span: '24h', ms: 1440 * MINUTE, label: '24 h', tickMs: 240 * MINUTE },
] as const

export type ChartSpan = (typeof CHART_SPANS)[number]

/**
 * The span that follows the data: the shortest one that reaches back to the first minute with
 * counts, so a canary started ten minutes ago fills a 15-minute chart instead of being two
 * points at the right edge of three hours. No counts at all: the shortest span.
 *
 * @example
 * spanFor(now - 10 * 60_000, now).span // '15m'
 */
export function spanFor(firstCountAt: number | null, now: number): ChartSpan {
  if (firstCountAt === null) return CHART_SPANS[0]
  const age = now - firstCountAt
  return CHART_SPANS.find((s) => age <= s.ms - MINUTE) ?? CHART_SPANS[CHART_SPANS.length - 1]!
}

/** Tick times on the time axis: whole multiples of the span's step, inside the span. */
export function timeTicks(start: number, end: number, stepMs: number): number[] {
  const ticks: number[] = []
  for (let t = Math.ceil(start / stepMs) * stepMs; t <= end; t += stepMs) ticks.push(t)
  return ticks
}

/** The longer of two spans. */
export function widerSpan(a: ChartSpan['span'], b: ChartSpan['span']): ChartSpan['span'] {
  const rank = (span: ChartSpan['span']) => CHART_SPANS.findIndex((s) => s.span === span)
  return rank(a) >= rank(b) ? a : b
}
