import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { KeyIndex } from '../auth/key-index.ts'
import { createRefetchEvents } from './refetch-events.ts'
import { ofrepRoutes } from './routes.ts'
import { createStreamTokens } from './stream-token.ts'

/**
 * Everything OFREP needs, built per app (the token secret and the stream fan-out live as long as
 * the app, nothing at import time): the routes to mount under `/ofrep/v1`, and `closeRevoked` for
 * revocation, which must end a revoked key's event streams as it ends its WebSockets.
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
}) {
  const events = createRefetchEvents({ rules: deps.rules, now: deps.now })
  const tokens = createStreamTokens({ now: deps.now })
  return {
    routes: ofrepRoutes({ ...deps, events, tokens }),
    closeRevoked: (isRevoked: (keyId: string) => boolean) => events.closeRevoked(isRevoked),
    /** Open event streams (tests, metrics). */
    streams: () => events.count(),
  }
}
