import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AuthEnv } from '../auth/api-key.ts'
import { identify, SESSION_COOKIE, type Credentials } from '../auth/access.ts'
import { actorOf } from '../auth/identity.ts'
import type { PeopleAuth, StartedSession } from '../auth/people.ts'
import { ForbiddenError, ValidationError } from '../errors.ts'
import { clientAddress, remoteAddressOf } from '../rate-limit/client-address.ts'
import type { Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { jsonBody, shaped } from './request.ts'

/**
 * Whether the browser reached us over HTTPS: the request's own scheme, or, behind the trusted
 * proxies the operator configured (`CANARY_TRUSTED_PROXIES`), the scheme the nearest proxy
 * reports in `X-Forwarded-Proto`. An untrusted peer's header is ignored.
 */
export function cameOverHttps(c: Context, trustedProxies: number): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true
  if (trustedProxies <= 0) return false
  const hops = (c.req.header('x-forwarded-proto') ?? '').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean)
  return hops.at(-1) === 'https'
}

/**
 * Sets the session cookie of a started session: httpOnly (no script reads it), SameSite=Strict
 * (no other site's navigation or request carries it), Secure when the request came over
 * HTTPS, path `/`, ending with the session.
 */
export function setSessionCookie(c: Context, started: StartedSession, trustedProxies: number): void {
  setCookie(c, SESSION_COOKIE, started.secret, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: cameOverHttps(c, trustedProxies),
    path: '/',
    expires: new Date(started.expiresAt),
  })
}

/**
 * Signs a person in on this response: a new server-side session and its cookie. What a single
 * sign-on callback calls once the provider vouched for the person (after `upsertPersonFromSso`).
 *
 * @example
 * const person = await people.upsertPersonFromSso({ email, name, rolesByEnvironment })
 * await signInPerson(c, { people, trustedProxies }, person.id)
 * return c.redirect('/')
 */
export async function signInPerson(
  c: Context,
  deps: { people: Pick<PeopleAuth, 'signInPerson'>; trustedProxies: number },
  personId: string,
): Promise<StartedSession> {
  const started = await deps.people.signInPerson(personId)
  setSessionCookie(c, started, deps.trustedProxies)
  return started
}

/**
 * `/api/v1/session`: sign in with email and password (POST), who am I (GET), sign out (DELETE),
 * and the signed-in person's own password change (`POST /password`). The secret travels only in
 * the cookie; answers never carry it.
 */
export function sessionRoutes(deps: { store: Store; people: PeopleAuth; credentials: Credentials; trustedProxies: number; ssoOnly?: boolean }) {
  const { people, credentials, trustedProxies } = deps
  return new Hono<AuthEnv>()
    .post('/', async (c) => {
      if (deps.ssoOnly) throw new ForbiddenError('password sign-in is off on this server (CANARY_SSO_ONLY=1): sign in with single sign-on at /api/v1/sso/start')
      const input = await jsonBody(c, schemas.signIn)
      const address = clientAddress({ remoteAddress: remoteAddressOf(c), forwardedFor: c.req.header('x-forwarded-for'), trustedProxies })
      const started = await people.signInWithPassword({ email: input.email, password: input.password, address })
      setSessionCookie(c, started, trustedProxies)
      return c.json(shaped(shapes.signedIn, { person: started.person, expiresAt: started.expiresAt }), 201)
    })
    .get('/', async (c) => {
      const identity = await identify(credentials, c)
      if (identity.type === 'person')
        return c.json(shaped(shapes.whoAmI, { type: 'person', person: identity.person, via: identity.credential.kind }))
      // The console offers an admin key's holder to create the first person while there is none.
      return c.json(shaped(shapes.whoAmI, { type: 'key', key: identity.key, peopleExist: (await deps.store.people.count()) > 0 }))
    })
    .post('/password', async (c) => {
      const identity = await identify(credentials, c)
      if (identity.type !== 'person')
        throw new ForbiddenError('a password belongs to a person: sign in as one (an API key has no password)')
      const input = await jsonBody(c, schemas.changePassword)
      const address = clientAddress({ remoteAddress: remoteAddressOf(c), forwardedFor: c.req.header('x-forwarded-for'), trustedProxies })
      const keepSession = identity.credential.kind === 'session' ? identity.credential.id : undefined
      const ended = await people.changeOwnPassword({ person: identity.person, ...input, keepSession, address })
      return c.json(shaped(shapes.passwordChanged, { endedSessions: ended.sessions.length }))
    })
    .delete('/', async (c) => {
      const identity = await identify(credentials, c)
      if (identity.type !== 'person' || identity.credential.kind !== 'session')
        throw new ValidationError('sign-out ends a session cookie; revoke a personal token with DELETE /api/v1/tokens/{id}')
      await people.signOut(getCookie(c, SESSION_COOKIE) ?? '', actorOf(identity))
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure: cameOverHttps(c, trustedProxies), httpOnly: true, sameSite: 'Strict' })
      return c.body(null, 204)
    })
}

