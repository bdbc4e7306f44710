import * as z from 'zod/mini'
import { armCountsFields } from './guard.ts'
import { guardReport } from './guard-view.ts'

/** The guard's counts over time: `GET …/metrics`. */

export const metricsRow = z.object({ minute: z.number(), ...armCountsFields })

/** The spans the metrics endpoint serves; the console picks one to fit the data. */
export const METRIC_SPANS = ['15m', '1h', '6h', '24h'] as const
export const metricSpan = z.enum(METRIC_SPANS)

/** `GET …/metrics`: the guard's report plus rows of counts, `resolutionSeconds` apart. */
export const metrics = z.object({
  ...guardReport.shape,
  minutes: z.array(metricsRow),
  /** Width of one row in seconds. */
  resolutionSeconds: z.number(),
  /** Start of the period the rows cover (epoch ms). */
  from: z.number(),
  /** When the flag's counts began in this period (the first row with exposures), or null. */
  firstCountAt: z.nullable(z.number()),
  /**
   * Finer rows of the last 15 minutes (10 s apart) for a guarded flag, when this server's guard
   * saw its counts; null otherwise (the chart then uses the per-minute rows).
   */
  fine: z.nullable(z.object({ resolutionSeconds: z.number(), rows: z.array(metricsRow) })),
})

export type MetricsRow = z.infer<typeof metricsRow>
export type MetricSpan = z.infer<typeof metricSpan>
export type Metrics = z.infer<typeof metrics>
