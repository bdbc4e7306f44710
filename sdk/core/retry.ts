import { CLOSE_RESTART, CLOSE_REVOKED } from './protocol.ts'

/**
 * Which failures are worth retrying, written once for everything that talks over the network:
 * the SDK's stream connection and its metrics fallback, and the guard's webhook. Classify first,
 * then retry only what time can fix (LaunchDarkly's `isHttpRecoverable`, Unleash's
 * `configurationError` vs `recoverableError`).
 */
export type FailureKind =
  /** Network trouble, 5xx, 408, 425 and 429 (and other non-2xx answers): back off and try again. */
  | 'recoverable'
  /** 401/403, or the key revoked while connected: the key is wrong, not the network. Say so once and stop. */
  | 'configuration'
  /** Any other 4xx: this request will never be accepted as it is. */
  | 'rejected'

/** 4xx answers that mean "not now" rather than "never": Request Timeout, Too Early, Too Many Requests. */
const TRANSIENT_CLIENT_ERRORS: ReadonlySet<number> = new Set([408, 425, 429])

/**
 * What a non-2xx HTTP answer says about retrying.
 *
 * @example
 * httpFailureKind(503) // 'recoverable'
 * httpFailureKind(401) // 'configuration'
 * httpFailureKind(422) // 'rejected'
 */
export function httpFailureKind(status: number): FailureKind {
  if (status === 401 || status === 403) return 'configuration'
  if (status >= 400 && status < 500 && !TRANSIENT_CLIENT_ERRORS.has(status)) return 'rejected'
  return 'recoverable'
}

/**
 * What a WebSocket close code says about reconnecting: a revoked key (4401) is a configuration
 * error; anything else (a restart, a network drop, a policy close) is worth another attempt.
 *
 * @example
 * closeFailureKind(CLOSE.revoked) // 'configuration'
 * closeFailureKind(1006) // 'recoverable'
 */
export function closeFailureKind(code: number): FailureKind {
  return code === CLOSE_REVOKED ? 'configuration' : 'recoverable'
}

/**
 * The server announced a restart (1012): reconnect on the backoff's restart schedule (once per
 * spread window, at this SDK's own phase) rather than on its exponential one.
 */
export const asksForPromptReconnect = (code: number): boolean => code === CLOSE_RESTART
