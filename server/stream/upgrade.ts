import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { authenticateUpgrade, writeUpgradeRefusal } from '../auth/upgrade.ts'
import { errorResponse } from '../error-response.ts'
import type { KeyIndex } from '../auth/key-index.ts'
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
  rules: Pick<EnvRules, 'load'>
  limits: ClientLimits
  log: (message: string, error?: unknown) => void
  accept: (request: IncomingMessage, socket: Duplex, head: Buffer, admitted: Admitted) => void
}) {
  const { limits } = deps

  /**
   * Client keys are public: their connections are limited per remote address, in rate (a new
   * connection must not buy a fresh identity budget) and in number. Returns the release of the
   * open-connection slot, or throws 429.
   */
  function admitClient(request: IncomingMessage): () => void {
    const forwarded = request.headers['x-forwarded-for']
    const address = clientAddress({
      remoteAddress: request.socket.remoteAddress,
      forwardedFor: Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      trustedProxies: limits.settings.trustedProxies,
    })
    return limits.admitConnection(address)
  }

  return async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost')
    let admitted: Admitted
    try {
      if (url.pathname !== STREAM_PATH) throw new RouteNotFoundError(request.method ?? 'GET', url.pathname)
      const { key, environment } = await authenticateUpgrade(request, {
        keys: deps.keys,
        environmentExists: (env) => deps.rules.load(env).then(() => true, () => false),
      })
      // After the last wait: a revocation heard meanwhile must not let this socket open.
      if (!deps.keys.isLive(key.id)) throw new UnauthorizedError('invalid or revoked API key')
      admitted = { key, environment, release: key.kind === 'client' ? admitClient(request) : () => {} }
    } catch (error) {
      return writeUpgradeRefusal(socket, errorResponse(error, deps.log, `upgrade ${url.pathname}`))
    }
    socket.once('close', admitted.release) // the handshake may still fail; then no 'close' of a WebSocket comes
    deps.accept(request, socket, head, admitted)
  }
}
