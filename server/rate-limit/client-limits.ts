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
  /** Proxies in front of the server whose `X-Forwarded-For` entries are believed (0: none). */
  trustedProxies: number
}

export const DEFAULT_CLIENT_LIMITS: Readonly<ClientLimitSettings> = Object.freeze({
  identitiesPerConnectionPerMinute: 30,
  evaluationsPerAddressPerMinute: 600,
  connectionsPerAddressPerMinute: 60,
  openConnectionsPerAddress: 200,
  trustedProxies: 0,
})

const MINUTE = 60_000

/** The limiters of one server, built from settings and a clock. */
export function createClientLimits(settings: ClientLimitSettings, now: () => number) {
  return {
    settings,
    identities: createWindowLimiter({ limit: settings.identitiesPerConnectionPerMinute, windowMs: MINUTE, now }),
    evaluations: createWindowLimiter({ limit: settings.evaluationsPerAddressPerMinute, windowMs: MINUTE, now }),
    connections: createWindowLimiter({ limit: settings.connectionsPerAddressPerMinute, windowMs: MINUTE, now }),
    open: createConcurrencyLimiter({ limit: settings.openConnectionsPerAddress }),
  }
}

export type ClientLimits = ReturnType<typeof createClientLimits>
