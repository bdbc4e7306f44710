import { Hono } from 'hono'
import { requireKey, type AuthEnv, type KeyVerifier } from '../auth/api-key.ts'

/** What the Prometheus route renders (server/observability/metrics.ts `Metrics`). */
export interface MetricsText {
  render(): Promise<string>
  contentType: string
}

/**
 * `GET /metrics` on the main port, in the Prometheus text format. Metrics reveal flag keys and
 * traffic there, so only admin keys read them (a separate `metricsPort` serves them without a key).
 */
export function prometheusRoutes({ keys, metrics }: { keys: KeyVerifier; metrics: MetricsText }) {
  return new Hono<AuthEnv>().get('/', requireKey(keys, { kinds: ['admin'] }), async () =>
    new Response(await metrics.render(), { headers: { 'content-type': metrics.contentType } }),
  )
}
