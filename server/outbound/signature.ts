import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Webhook signatures (README "Verifying webhook signatures"), in the form Stripe made familiar:
 *
 *     canary-signature: t=1767225600,v1=<hex HMAC-SHA256(secret, "1767225600." + body)>
 *
 * `t` is the Unix time in seconds of this attempt: a receiver rejects a `t` far from its clock
 * (a replay) and a delivery id (`canary-delivery`) it has already handled (a retry). While a
 * rotated secret's overlap lasts there is one `v1=` per secret, newest first; any one matching
 * is a valid signature.
 */
export const SIGNATURE_HEADER = 'canary-signature'
export const DELIVERY_HEADER = 'canary-delivery'

const hmac = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')

/** The header value for `body` sent at `timestamp` (seconds) under each of `secrets`. */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${hmac(s, timestamp, body)}`)].join(',')
}

/**
 * What a receiver does (the tests use it as one): true when some `v1` matches `secret` over the
 * exact body and `t` is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifySignature(
  header: string,
  body: string,
  secret: string,
  options: { nowSeconds: number; toleranceSeconds?: number },
): boolean {
  const parts = header.split(',').map((p) => p.split('=', 2) as [string, string?])
  const t = Number(parts.find(([k]) => k === 't')?.[1])
  if (!Number.isInteger(t) || Math.abs(options.nowSeconds - t) > (options.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(hmac(secret, t, body), 'hex')
  return parts.some(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v) && timingSafeEqual(Buffer.from(v, 'hex'), expected))
}

/** A new signing secret: 32 random bytes, with a prefix that says what it is when found in a file. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`
