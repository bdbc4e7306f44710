import { createBackoff } from '../../sdk/core/backoff.ts'
import { httpFailureKind } from '../../sdk/core/retry.ts'

/**
 * Delivers a JSON event to a webhook, off the trip's path: the flag is already off and streamed
 * when this starts, so a slow or dead receiver can delay nothing but itself.
 * Retries what `httpFailureKind` calls recoverable (5xx, 408, 425, 429) and network errors, with
 * the SDK's exponential backoff and full jitter (`baseDelayMs` is the first ceiling), so servers
 * that trip at once do not hit one receiver in step; other 4xx are final.
 */
export async function deliverWebhook(
  url: string,
  event: unknown,
  options: {
    timeoutMs?: number
    attempts?: number
    baseDelayMs?: number
    log: (message: string, error?: unknown) => void
    /** `[0, 1)` for the jitter; default `Math.random`. */
    random?: () => number
    now?: () => number
  },
): Promise<boolean> {
  const attempts = options.attempts ?? 4
  const now = options.now ?? Date.now
  const backoff = createBackoff({ baseMs: options.baseDelayMs ?? 500, random: options.random ?? Math.random })
  const body = JSON.stringify(event)
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'canary-flags-guard' },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      })
      await res.arrayBuffer().catch(() => undefined)
      if (res.ok) return true
      options.log(`webhook ${url} answered ${res.status} (attempt ${attempt}/${attempts})`)
      if (httpFailureKind(res.status) !== 'recoverable') return false
    } catch (error) {
      options.log(`webhook ${url} failed (attempt ${attempt}/${attempts})`, error)
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoff.fail(now())))
  }
  return false
}
