import type { MetricsBatch } from '../core/protocol.ts'
import type { User } from '../core/types.ts'
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
  /** `user`: client keys only; the server evaluates it to put the counts in the right arm. */
  return async (batch: MetricsBatch, user?: User): Promise<PostOutcome> => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(user === undefined ? { batch } : { batch, user }),
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
