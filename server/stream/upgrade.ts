import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { authenticateUpgrade, writeUpgradeRefusal } from '../auth/upgrade.ts'
import { errorResponse } from '../error-response.ts'
import type { KeyIndex } from '../auth/key-index.ts'
import type { StreamTickets } from '../auth/stream-tickets.ts'
import { RouteNotFoundError, UnauthorizedError } from '../errors.ts'
import { clientAddress } from '../rate-limit/client-address.ts'
import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { ApiKeyInfo } from '../store/contract.ts'
import type { EnvRules } from '../live/env-rules.ts'

export const STREAM_PATH = '/api/v1/stream'

/** An upgrade that passed authentication and the client-key limits. */
export interface Admitted {
  key: ApiKeyInfo
  environment: string
  /** Frees the client-key connection slot (a no-op for other keys). */
  release: () => void
}

/**
 * Upgrade and authentication: the same key resolution, scope rules and error shape as the HTTP
 * routes, the environment's rules loaded, and client keys' connection limits per address.
 * Calls `accept` for an admitted upgrade; writes the refusal (and closes) otherwise.
 */
export function createUpgradeHandler(deps: {
  keys: Pick<KeyIndex, 'verify' | 'isLive'>
  /** The console's single-use tickets (auth/stream-tickets.ts). */
  tickets: Pick<StreamTickets, 'redeem'>
  rules: Pick<EnvRules, 'load'>
  limits: ClientLimits
  log: (message: string, error?: unknown) => void
  accept: (request: IncomingMessage, socket: Duplex, head: Buffer, admitted: Admitted) => void
}) {
  const { limits } = deps

  /**
   * The client's address as the proxy-trust setting reads it: failed authentication is throttled
   * per address, and client keys (public) are limited per address in connection rate and number.
   */
  function addressOf(request: IncomingMessage): string {
    const forwarded = request.headers['x-forwarded-for']
    limits.proxyTrust.seen(request.socket.remoteAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded)
    return clientAddress({
      remoteAddress: request.socket.remoteAddress,
      forwardedFor: Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      trustedProxies: limits.settings.trustedProxies,
    })
  }

  return async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost')
    let admitted: Admitted
    try {
      if (url.pathname !== STREAM_PATH) throw new RouteNotFoundError(request.method ?? 'GET', url.pathname)
      const address = addressOf(request)
      // Failed authentication is throttled per address, as on HTTP (auth/failure-throttle.ts): a
      // wrong key past the address's budget is answered 429; a valid key never waits.
      const { key, environment } = await authenticateUpgrade(request, {
        keys: deps.keys,
        tickets: deps.tickets,
        environmentExists: (env) => deps.rules.load(env).then(() => true, () => false),
      }).catch((error: unknown) => {
        if (error instanceof UnauthorizedError) {
          limits.authFailures.admit(address)
          limits.authFailures.failed(address)
        }
        throw error
      })
      // After the last wait: a revocation heard meanwhile must not let this socket open.
      if (!deps.keys.isLive(key.id)) throw new UnauthorizedError('invalid or revoked API key')
      admitted = { key, environment, release: key.kind === 'client' ? limits.admitConnection(address) : () => {} }
    } catch (error) {
      return writeUpgradeRefusal(socket, errorResponse(error, deps.log, `upgrade ${url.pathname}`))
    }
    socket.once('close', admitted.release) // the handshake may still fail; then no 'close' of a WebSocket comes
    deps.accept(request, socket, head, admitted)
  }
}
