import type { Context } from 'hono'
import { parse as parseCookie } from 'hono/utils/cookie'
import { createMiddleware } from 'hono/factory'
import { ForbiddenError, UnauthorizedError } from '../errors.ts'
import { authenticate, bearerSecret, type AuthEnv, type KeyVerifier } from './api-key.ts'
import { actorOf, authorize, type Action, type Identity } from './identity.ts'
import { isPersonalToken, notSignedIn, type PeopleAuth } from './people.ts'

/** The session cookie's name. */
export const SESSION_COOKIE = 'canary_session'
/**
 * The header every write made with a session cookie must carry (any value). A cross-site page
 * cannot set a custom header without a CORS preflight, which the admin API never grants, so
 * its forged form posts and fetches are refused (OWASP CSRF cheat sheet, "custom request headers").
 */
export const CSRF_HEADER = 'x-canary-csrf'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** What resolves a request's credentials: the key index, and people's sessions and tokens. */
export interface Credentials {
  keys: KeyVerifier
  people: Pick<PeopleAuth, 'fromSession' | 'fromToken'>
}

/** What `identify` reads of a request: its method and its headers (by lower-case name). */
export interface CredentialSource {
  readonly method: string
  header(name: string): string | undefined
}

/**
 * Who sends a request: the bearer secret in `Authorization` (an API key, or a personal token
 * `cfp_…`), else the session cookie. A cookie-authenticated write without the CSRF header is
 * 403. 401 when there is no credential or it is unknown, ended or revoked. Takes hono's context
 * or a hot route's request (exchange/hot-route.ts) alike.
 */
export async function identify(credentials: Credentials, request: CredentialSource | Context): Promise<Identity> {
  const source = 'req' in request ? { method: request.req.method, header: (name: string) => request.req.header(name) } : request
  const authorization = source.header('authorization')
  const bearer = authorization ? bearerSecret(authorization) : undefined
  if (bearer !== undefined) {
    if (!isPersonalToken(bearer)) return { type: 'key', key: await authenticate(credentials.keys, bearer) }
    const person = await credentials.people.fromToken(bearer)
    if (!person) throw new UnauthorizedError('invalid or revoked personal token')
    return person
  }
  const cookieHeader = source.header('cookie')
  const cookie = cookieHeader ? parseCookie(cookieHeader, SESSION_COOKIE)[SESSION_COOKIE] : undefined
  if (!cookie) throw notSignedIn()
  const person = await credentials.people.fromSession(cookie)
  if (!person) throw new UnauthorizedError('session ended or expired: sign in again')
  if (!SAFE_METHODS.has(source.method) && source.header(CSRF_HEADER) === undefined)
    throw new ForbiddenError(`a write with a session cookie needs the ${CSRF_HEADER} header (a defence against cross-site requests)`)
  return person
}

/** Reads are `read`; anything else changes something (`write`) unless a route group says otherwise. */
export const byMethod = (c: Context): Action => (SAFE_METHODS.has(c.req.method) ? 'read' : 'write')

/**
 * Authenticates (`identify`) and authorizes (`authorize`) before the handler runs, for keys
 * and people alike; sets `identity`, `actor` and, for a key, `apiKey`.
 *
 * @example
 * app.use('/api/v1/environments/:env/flags/*', requireAccess(credentials, { environment: (c) => c.req.param('env') }))
 */
export function requireAccess(
  credentials: Credentials,
  options: { action?: (c: Context) => Action; environment?: (c: Context) => string | undefined } = {},
) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const identity = await identify(credentials, c)
    authorize(identity, { action: (options.action ?? byMethod)(c), environment: options.environment?.(c) })
    c.set('identity', identity)
    c.set('actor', actorOf(identity))
    if (identity.type === 'key') c.set('apiKey', identity.key)
    await next()
  })
}
