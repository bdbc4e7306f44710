import { TooManyRequestsError } from '../errors.ts'
import { createAuthFailureThrottle } from './auth-failures.ts'
import { createProxyTrustWatch } from './proxy-trust.ts'
import { createConcurrencyLimiter } from './concurrency-limiter.ts'
import { createWindowLimiter } from './window-limiter.ts'

/**
 * The limits on client (public) keys, whose holders are anyone: documented defaults, each
 * configurable (README "Rate limits"). Identities are limited because each one is a full
 * evaluation and a guess at who is in which cohort; connections per address because a new
 * connection would otherwise start a fresh identity budget.
 */
export interface ClientLimitSettings {
  /** `hello` with a user and `identify` messages per connection per minute. */
  identitiesPerConnectionPerMinute: number
  /** Client-key evaluations over HTTP (`POST …/evaluate`) per remote address per minute. */
  evaluationsPerAddressPerMinute: number
  /** New client-key connections per remote address per minute. */
  connectionsPerAddressPerMinute: number
  /** Open client-key connections per remote address at once. */
  openConnectionsPerAddress: number
  /** Failed authentications (wrong or revoked keys, any kind) per remote address per minute, before 429. */
  authFailuresPerAddressPerMinute: number
  /** Proxies in front of the server whose `X-Forwarded-For` entries are believed (0: none). */
  trustedProxies: number
}

export const DEFAULT_CLIENT_LIMITS: Readonly<ClientLimitSettings> = Object.freeze({
  identitiesPerConnectionPerMinute: 30,
  evaluationsPerAddressPerMinute: 600,
  connectionsPerAddressPerMinute: 60,
  openConnectionsPerAddress: 200,
  authFailuresPerAddressPerMinute: 30,
  trustedProxies: 0,
})

const MINUTE = 60_000

/**
 * The limiters of one server, built from settings and a clock, and the two checks every
 * transport makes with them (HTTP evaluate, OFREP, WebSocket, OFREP event stream).
 */
export function createClientLimits(settings: ClientLimitSettings, now: () => number, log: (message: string) => void = () => {}) {
  const evaluations = createWindowLimiter({ limit: settings.evaluationsPerAddressPerMinute, windowMs: MINUTE, now })
  const connections = createWindowLimiter({ limit: settings.connectionsPerAddressPerMinute, windowMs: MINUTE, now })
  const open = createConcurrencyLimiter({ limit: settings.openConnectionsPerAddress })
  return {
    settings,
    identities: createWindowLimiter({ limit: settings.identitiesPerConnectionPerMinute, windowMs: MINUTE, now }),
    evaluations,
    connections,
    open,
    /** Warns when forwarded requests come from a proxy that is not trusted (proxy-trust.ts). */
    proxyTrust: createProxyTrustWatch({ trustedProxies: settings.trustedProxies, now, log }),
    /** Failed authentication per address, for every key kind and transport (auth-failures.ts). */
    authFailures: createAuthFailureThrottle({ perMinute: settings.authFailuresPerAddressPerMinute, now }),
    /**
     * One client-key evaluation from `address` (each is a guess at who is in which cohort), or
     * TooManyRequestsError (429 with Retry-After).
     */
    admitEvaluation(address: string): void {
      const verdict = evaluations.take(address)
      if (!verdict.allowed)
        throw new TooManyRequestsError(
          `too many client-key evaluations from ${address}: at most ${settings.evaluationsPerAddressPerMinute} a minute`,
          Math.ceil(verdict.retryAfterMs / 1000),
        )
    },
    /**
     * One client-key connection from `address`, limited in rate (a new connection must not buy a
     * fresh identity budget) and in number. Returns the release of the open-connection slot, or
     * throws TooManyRequestsError.
     */
    admitConnection(address: string): () => void {
      const rate = connections.take(address)
      if (!rate.allowed)
        throw new TooManyRequestsError(
          `too many client-key connections from ${address}: at most ${settings.connectionsPerAddressPerMinute} a minute`,
          Math.ceil(rate.retryAfterMs / 1000),
        )
      const release = open.acquire(address)
      if (!release)
        throw new TooManyRequestsError(
          `too many open client-key connections from ${address}: at most ${settings.openConnectionsPerAddress}`,
          60,
        )
      return release
    },
  }
}

export type ClientLimits = ReturnType<typeof createClientLimits>
