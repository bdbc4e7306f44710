/**
 * Delivers a JSON event to a webhook, off the trip's path: the flag is already off and streamed
 * when this starts, so a slow or dead receiver can delay nothing but itself.
 * Retries 5xx, 408, 429 and network errors with exponential backoff; 4xx are final.
 */
export async function deliverWebhook(
  url: string,
  event: unknown,
  options: {
    timeoutMs?: number
    attempts?: number
    baseDelayMs?: number
    log: (message: string, error?: unknown) => void
  },
): Promise<boolean> {
  const attempts = options.attempts ?? 4
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
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429
      options.log(`webhook ${url} answered ${res.status} (attempt ${attempt}/${attempts})`)
      if (!retryable) return false
    } catch (error) {
      options.log(`webhook ${url} failed (attempt ${attempt}/${attempts})`, error)
    }
    if (attempt < attempts)
      await new Promise((resolve) => setTimeout(resolve, (options.baseDelayMs ?? 500) * 2 ** (attempt - 1)))
  }
  return false
}
