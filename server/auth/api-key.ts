import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { ForbiddenError, UnauthorizedError } from '../errors.ts'
import type { ApiKeyInfo, KeyKind, KeyStore } from '../store/key-store.ts'

export type AuthEnv = { Variables: { apiKey: ApiKeyInfo; actor: string } }

/**
 * The secret from `Authorization: Bearer <key>`, or for browsers (which cannot set headers on a
 * WebSocket) from the `key` query parameter or a `Sec-WebSocket-Protocol` entry `key.<key>`.
 */
export function secretFrom(headers: Headers, url: string, allowQuery: boolean): string | undefined {
  const auth = headers.get('authorization')
  if (auth) return auth.replace(/^Bearer\s+/i, '').trim() || undefined
  if (!allowQuery) return undefined
  const protocols = headers.get('sec-websocket-protocol')?.split(',').map((p) => p.trim()) ?? []
  const fromProtocol = protocols.find((p) => p.startsWith('key.'))?.slice(4)
  return fromProtocol || new URL(url).searchParams.get('key') || undefined
}

/** `key:<name>` — how people and services appear in the audit log. */
export const actorOf = (key: ApiKeyInfo) => `${key.kind}-key:${key.name}`

/**
 * Verifies the API key before the handler runs (and, for the stream, before the upgrade).
 * A missing or unknown key is 401; a key of the wrong kind or another environment is 403.
 * `environment` picks the environment a request is about; a key bound to one environment
 * may only act on it, and a request about no environment needs a global (admin) key.
 */
export function requireKey(
  keys: KeyStore,
  options: {
    kinds: KeyKind[]
    environment?: (c: Context, key: ApiKeyInfo) => string | undefined
    allowQuery?: boolean
  },
) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const secret = secretFrom(c.req.raw.headers, c.req.url, options.allowQuery ?? false)
    if (!secret) throw new UnauthorizedError('missing API key: send Authorization: Bearer <key>')
    const key = keys.verify(secret)
    if (!key) throw new UnauthorizedError('invalid or revoked API key')
    if (!options.kinds.includes(key.kind))
      throw new ForbiddenError(`a ${key.kind} key cannot use this endpoint; it needs a ${options.kinds.join(' or ')} key`)
    const env = options.environment ? options.environment(c, key) : undefined
    if (key.environment !== null && key.environment !== env)
      throw new ForbiddenError(
        env
          ? `this key belongs to environment ${key.environment}, not ${env}`
          : `this key belongs to environment ${key.environment}; this endpoint needs a global admin key`,
      )
    c.set('apiKey', key)
    c.set('actor', actorOf(key))
    await next()
  })
}
