import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AuthEnv } from '../auth/api-key.ts'
import type { PeopleAuth } from '../auth/people.ts'
import { SsoRefusal, type Sso, type SsoAttempt } from '../auth/sso.ts'
import { clientAddress, remoteAddressOf } from '../rate-limit/client-address.ts'
import type { Store } from '../store/contract.ts'
import * as shapes from '../../api-shapes/index.ts'
import { shaped } from './request.ts'
import { cameOverHttps, signInPerson } from './sessions.ts'

/** The cookie that carries one sign-in attempt's state, nonce and PKCE verifier to the callback. */
const ATTEMPT_COOKIE = 'canary_sso'
const ATTEMPT_PATH = '/api/v1/sso'
/** Long enough to sign in at the provider, short enough that a stale attempt is gone. */
const ATTEMPT_SECONDS = 600

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

/** A refused sign-in as a page a person can read (they arrive here by browser, not by script). */
const refusedPage = (c: Context, message: string, status: 400 | 502 = 400) =>
  c.html(
    `<!doctype html><meta charset="utf-8"><title>Sign-in refused</title>` +
      `<h1>Sign-in refused</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to the console</a></p>`,
    status,
  )

function readAttempt(raw: string | undefined): SsoAttempt | undefined {
  if (!raw) return undefined
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<SsoAttempt>
    const fields = [parsed.state, parsed.nonce, parsed.codeVerifier]
    return fields.every((f) => typeof f === 'string' && f.length > 0) ? (parsed as SsoAttempt) : undefined
  } catch {
    return undefined
  }
}

/**
 * `/api/v1/sso`: what the console's sign-in page offers (GET), the start of a sign-in at the
 * provider (`/start`) and its return (`/callback`), which creates or updates the person from the
 * provider's claims, signs them in and sends them to the console. No key is needed: the provider
 * vouches for the person, and state, nonce and PKCE tie the callback to the browser that started.
 */
export function ssoRoutes(deps: {
  sso: Sso | undefined
  ssoOnly: boolean
  store: Store
  people: PeopleAuth
  trustedProxies: number
  log?: (message: string, error?: unknown) => void
}) {
  const { sso, store, people, trustedProxies } = deps
  const attemptCookieOptions = (c: Context) => ({
    httpOnly: true,
    // Lax: the provider's redirect back is a cross-site navigation, which Strict would strip it from.
    sameSite: 'Lax' as const,
    secure: cameOverHttps(c, trustedProxies),
    path: ATTEMPT_PATH,
  })
  return new Hono<AuthEnv>()
    .get('/', (c) =>
      c.json(shaped(shapes.ssoStatus, sso ? { enabled: true, name: sso.displayName, ssoOnly: deps.ssoOnly } : { enabled: false, ssoOnly: false })),
    )
    .get('/start', async (c) => {
      if (!sso) return refusedPage(c, 'single sign-on is not configured on this server (CANARY_OIDC_ISSUER)')
      let started: Awaited<ReturnType<Sso['start']>>
      try {
        started = await sso.start()
      } catch (error) {
        // The provider is down or its discovery document is wrong: say so (the next try fetches it again).
        deps.log?.('single sign-on: the provider could not be reached', error)
        return refusedPage(c, `the identity provider could not be reached (${(error as Error).message}); try again later`, 502)
      }
      const { url, attempt } = started
      setCookie(c, ATTEMPT_COOKIE, Buffer.from(JSON.stringify(attempt)).toString('base64url'), {
        ...attemptCookieOptions(c),
        maxAge: ATTEMPT_SECONDS,
      })
      return c.redirect(url.href, 302)
    })
    .get('/callback', async (c) => {
      if (!sso) return refusedPage(c, 'single sign-on is not configured on this server (CANARY_OIDC_ISSUER)')
      const attempt = readAttempt(getCookie(c, ATTEMPT_COOKIE))
      // One attempt, one callback: a replayed or second callback finds no attempt.
      deleteCookie(c, ATTEMPT_COOKIE, attemptCookieOptions(c))
      const providerError = c.req.query('error')
      if (providerError) return refusedPage(c, `the provider refused: ${providerError} ${c.req.query('error_description') ?? ''}`.trim())
      if (!attempt) return refusedPage(c, 'no sign-in was started in this browser, or it expired: start again from the console')
      if (c.req.query('state') !== attempt.state) return refusedPage(c, 'the answer does not belong to the sign-in this browser started (state mismatch): start again')
      const address = clientAddress({ remoteAddress: remoteAddressOf(c), forwardedFor: c.req.header('x-forwarded-for'), trustedProxies })
      try {
        const found = await sso.finish(new URL(c.req.url), attempt)
        const person = await people.upsertPersonFromSso(found)
        await signInPerson(c, { people, trustedProxies }, person.id)
        await store.people.audit({ actor: `person:${person.email}`, action: 'session.sign_in', details: { address, method: 'sso', groups: found.groups } })
        return c.redirect('/', 302)
      } catch (error) {
        if (!(error instanceof SsoRefusal)) throw error
        await store.people.audit({ actor: error.email ? `person:${error.email}` : 'sso', action: 'session.sign_in_failed', details: { address, method: 'sso', reason: error.message } })
        return refusedPage(c, error.message)
      }
    })
}
