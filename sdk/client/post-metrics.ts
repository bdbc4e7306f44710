import type { MetricsBatch } from '../core/protocol.ts'
import { httpFailureKind } from '../core/retry.ts'
import type { User } from '../core/types.ts'
import type { PostOutcome } from './metrics-reporter.ts'

/**
 * A batch the server will never take (malformed, key revoked) is dropped; anything recoverable
 * (`sdk/core/retry.ts`) is kept. 404 is kept too, so that batches survive a server that has no
 * metrics endpoint yet.
 */
const outcomeOf = (status: number): PostOutcome =>
  status === 404 || httpFailureKind(status) === 'recoverable' ? 'retry' : 'drop'

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
      return outcomeOf(response.status)
    } catch {
      return 'retry'
    }
  }
}
