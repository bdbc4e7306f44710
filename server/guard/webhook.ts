import { randomUUID } from 'node:crypto'
import type { lookup } from 'node:dns'
import { createBackoff } from '../../sdk/core/backoff.ts'
import { httpFailureKind } from '../../sdk/core/retry.ts'
import { createAddressPolicy } from '../outbound/address-policy.ts'
import { redactUrl } from '../outbound/redact-url.ts'
import { DEFAULT_OUTBOUND_LIMITS, safePost, type OutboundResult } from '../outbound/safe-post.ts'
import { DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader } from '../outbound/signature.ts'

/** Webhook settings (README "Security"); unset fields keep the documented defaults. */
export interface WebhookOptions {
  timeoutMs?: number
  attempts?: number
  baseDelayMs?: number
  /** The largest answer read (default 64 KiB); a longer answer fails the delivery. */
  maxResponseBytes?: number
  /** `CANARY_WEBHOOK_ALLOW`: private addresses or ranges a webhook may reach (default none). */
  allow?: readonly string[]
}

/** Whether a failed attempt is worth another: only network trouble and recoverable statuses are. */
function retryable(result: OutboundResult): boolean {
  if (result.outcome === 'network') return true
  return result.outcome === 'answered' && httpFailureKind(result.status) === 'recoverable'
}

/** One attempt's outcome in words for the log (the URL already redacted by the caller). */
function described(result: OutboundResult): string {
  switch (result.outcome) {
    case 'answered':
      return `answered ${result.status}`
    case 'redirect':
      return `answered ${result.status}: redirects are not followed`
    case 'refused':
      return `refused: ${result.reason} (list wanted private targets in CANARY_WEBHOOK_ALLOW)`
    default:
      return `failed: ${result.reason}`
  }
}

/**
 * Delivers a JSON event to a webhook, off the trip's path: the flag is already off and streamed
 * when this starts, so a slow or dead receiver can delay nothing but itself.
 * Every attempt goes through the outbound policy (`safePost`: addresses checked after DNS, no
 * redirects, a timeout and an answer cap) and is signed with `secrets` over a fresh timestamp;
 * one delivery id for all attempts lets a receiver drop a retry it already handled.
 * Retries what `httpFailureKind` calls recoverable (5xx, 408, 425, 429) and network errors, with
 * the SDK's exponential backoff and full jitter (`baseDelayMs` is the first ceiling), so servers
 * that trip at once do not hit one receiver in step; anything else is final. The URL is logged
 * without its credentials, query or fragment (they may hold secrets).
 */
export async function deliverWebhook(
  url: string,
  event: unknown,
  options: WebhookOptions & {
    /** Signing secrets, newest first (empty: the delivery goes unsigned, and the log says so). */
    secrets?: readonly string[]
    log: (message: string, error?: unknown) => void
    /** `[0, 1)` for the jitter; default `Math.random`. */
    random?: () => number
    now?: () => number
    /** DNS resolution (tests answer names themselves). */
    resolve?: typeof lookup
  },
): Promise<boolean> {
  const attempts = options.attempts ?? 4
  const now = options.now ?? Date.now
  const backoff = createBackoff({ baseMs: options.baseDelayMs ?? 500, random: options.random ?? Math.random })
  const policy = createAddressPolicy({ allow: options.allow ?? [] })
  const limits = {
    timeoutMs: options.timeoutMs ?? DEFAULT_OUTBOUND_LIMITS.timeoutMs,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_OUTBOUND_LIMITS.maxResponseBytes,
  }
  const shown = redactUrl(url)
  const body = JSON.stringify(event)
  const secrets = options.secrets ?? []
  if (secrets.length === 0) options.log(`webhook ${shown} has no signing secret: sent unsigned (create one: POST …/guard/webhook-secret)`)
  const delivery = randomUUID()
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'canary-flags-guard',
      [DELIVERY_HEADER]: delivery,
    }
    if (secrets.length > 0) headers[SIGNATURE_HEADER] = signatureHeader(secrets, Math.floor(Date.now() / 1000), body)
    const result = await safePost(url, body, headers, { policy, limits, ...(options.resolve && { resolve: options.resolve }) })
    if (result.outcome === 'answered' && result.status >= 200 && result.status < 300) return true
    options.log(`webhook ${shown} ${described(result)} (attempt ${attempt}/${attempts})`)
    if (!retryable(result)) return false
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoff.fail(now())))
  }
  return false
}
