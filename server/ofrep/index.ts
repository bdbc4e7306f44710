import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { KeyIndex } from '../auth/key-index.ts'
import { createRefetchEvents } from './refetch-events.ts'
import { ofrepEvaluations } from './evaluate-routes.ts'
import { ofrepRoutes } from './routes.ts'
import { createStreamTokens } from './stream-token.ts'
import { createStreamsPerToken } from './streams-per-token.ts'

/** The limits of OFREP event streams (README "Security"); defaults in stream-token.ts and streams-per-token.ts. */
export interface OfrepStreamLimits {
  /** How long an event-stream URL (its token) is valid; a stream open at the expiry ends then. */
  tokenTtlMs?: number | undefined
  /** Open streams per token at once. */
  streamsPerToken?: number | undefined
}

/**
 * Everything OFREP needs, built per app (the token secret and the stream fan-out live as long as
 * the app, nothing at import time): the routes to mount under `/ofrep/v1`, and `closeRevoked` for
 * revocation, which must end a revoked key's event streams as it ends its WebSockets (and ends
 * expired tokens' streams too).
 *
 * @example
 * const ofrep = createOfrep({ keys, rules, clientLimits, now, log })
 * app.route('/ofrep/v1', ofrep.routes)
 */
export function createOfrep(deps: {
  keys: Pick<KeyIndex, 'verify' | 'isLive'>
  rules: EnvRules
  clientLimits: ClientLimits
  now: () => number
  log: (message: string, error?: unknown) => void
  limits?: OfrepStreamLimits | undefined
}) {
  const events = createRefetchEvents({ rules: deps.rules, now: deps.now })
  const tokens = createStreamTokens({ now: deps.now, ttlMs: deps.limits?.tokenTtlMs })
  const perToken = createStreamsPerToken(deps.limits?.streamsPerToken)
  return {
    routes: ofrepRoutes({ ...deps, events, tokens, perToken }),
    /** `POST /ofrep/v1/evaluate/flags` and `…/flags/{key}`, as SDK routes (evaluate-routes.ts). */
    evaluations: ofrepEvaluations({ ...deps, tokens }),
    /**
     * Ends the streams of revoked keys and of expired tokens: called on every revocation and on
     * every periodic key re-check (auth/key-index.ts).
     */
    closeRevoked: (isRevoked: (keyId: string) => boolean) => {
      events.closeRevoked(isRevoked)
      events.endExpired()
    },
    /** Open event streams (tests, metrics). */
    streams: () => events.count(),
  }
}
