import type { MetricsBatch } from '../core/protocol.ts'
import type { PostOutcome } from './metrics-reporter.ts'

/**
 * Client errors other than these mean the server will never take this batch (malformed, key
 * revoked): retrying cannot help. 404 is kept retryable so that batches survive a server that has
 * no metrics endpoint yet.
 */
const RETRYABLE_CLIENT_ERRORS = new Set([404, 408, 425, 429])

/**
 * The HTTP fallback for guard counts: `POST /api/v1/metrics` with `{ batch }`, used while the
 * WebSocket is down. The server ingests a batch id once, so a batch that also went over the
 * socket is not counted twice.
 *
 * @example
 * const post = metricsPoster('http://localhost:4242/api/v1/metrics', key)
 * await post(batch) // 'delivered' | 'retry' | 'drop'
 */
export function metricsPoster(url: string, key: string) {
  return async (batch: MetricsBatch): Promise<PostOutcome> => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ batch }),
        // Lets the last batch leave while a page unloads.
        keepalive: true,
      })
      // The body is not needed; release the connection.
      void response.body?.cancel().catch(() => {})
      if (response.ok) return 'delivered'
      const status = response.status
      return status >= 400 && status < 500 && !RETRYABLE_CLIENT_ERRORS.has(status) ? 'drop' : 'retry'
    } catch {
      return 'retry'
    }
  }
}
