import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { ForbiddenError, UnauthorizedError } from '../errors.ts'
import type { ApiKeyInfo, KeyKind, Store } from '../store/contract.ts'
import type { Identity } from './identity-type.ts'

/** Anything that resolves a secret to its live key: the key index, or the store itself. */
export type KeyVerifier = Pick<Store['keys'], 'verify'>

/**
 * What authentication leaves on a request: who acts (`identity`, a key or a person), how the
 * audit log names them (`actor`), and for a key the key itself (SDK routes read its kind).
 * `apiKey` is absent when a person acts.
 */
export type AuthEnv = { Variables: { apiKey: ApiKeyInfo; actor: string; identity: Identity } }

/** The secret of an `Authorization: Bearer <key>` header (a bare key is taken too). */
export const bearerSecret = (authorization: string | undefined): string | undefined =>
  authorization ? authorization.replace(/^Bearer\s+/i, '').trim() || undefined : undefined

/**
 * The secret from `Authorization: Bearer <key>`, or for browsers (which cannot set headers on a
 * WebSocket) from the `key` query parameter or a `Sec-WebSocket-Protocol` entry `key.<key>`.
 */
export function secretFrom(headers: Headers, url: string, allowQuery: boolean): string | undefined {
  const authorization = headers.get('authorization')
  if (authorization) return bearerSecret(authorization)
  if (!allowQuery) return undefined
  const protocols = headers.get('sec-websocket-protocol')?.split(',').map((p) => p.trim()) ?? []
  const fromProtocol = protocols.find((p) => p.startsWith('key.'))?.slice(4)
  return fromProtocol || new URL(url).searchParams.get('key') || undefined
}

/** `key:<name>` — how people and services appear in the audit log. */
export const actorOf = (key: { kind: string; name: string }) => `${key.kind}-key:${key.name}`

/**
 * The live key for a secret: 401 when there is none or it is unknown or revoked. The one key
 * resolution of HTTP routes and the WebSocket upgrade.
 */
export async function authenticate(keys: KeyVerifier, secret: string | undefined): Promise<ApiKeyInfo> {
  if (!secret) throw new UnauthorizedError('missing API key: send Authorization: Bearer <key>')
  const key = await keys.verify(secret)
  if (!key) throw new UnauthorizedError('invalid or revoked API key')
  return key
}

/** `an admin`, `a server`: the article for a key kind. */
const article = (word: string) => (/^[aeiou]/.test(word) ? 'An' : 'A').toLowerCase()

/**
 * The scope rules, the same for HTTP and the upgrade: a key of the wrong kind is 403, and a key
 * bound to one environment may only act on that environment (`environment` is the one the
 * request is about; undefined means "no environment", which needs a global admin key).
 */
export function authorizeKey(key: ApiKeyInfo, options: { kinds: readonly KeyKind[]; environment: string | undefined }): void {
  if (!options.kinds.includes(key.kind))
    throw new ForbiddenError(`${article(key.kind)} ${key.kind} key cannot use this endpoint; it needs ${article(options.kinds[0] ?? '')} ${options.kinds.join(' or ')} key`)
  const env = options.environment
  if (key.environment !== null && key.environment !== env)
    throw new ForbiddenError(
      env
        ? `this key belongs to environment ${key.environment}, not ${env}`
        : `this key belongs to environment ${key.environment}; this endpoint needs a global admin key`,
    )
}

/**
 * Verifies the API key before the handler runs (`authenticate`, then `authorize`).
 * `environment` picks the environment a request is about.
 */
export function requireKey(
  keys: KeyVerifier,
  options: {
    kinds: KeyKind[]
    environment?: (c: Context, key: ApiKeyInfo) => string | undefined
    allowQuery?: boolean
  },
) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const key = await authenticate(keys, secretFrom(c.req.raw.headers, c.req.url, options.allowQuery ?? false))
    authorizeKey(key, { kinds: options.kinds, environment: options.environment?.(c, key) })
    c.set('apiKey', key)
    c.set('actor', actorOf(key))
    c.set('identity', { type: 'key', key })
    await next()
  })
}
