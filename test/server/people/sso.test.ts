import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestProvider, type TestProvider } from '../../helpers/oidc-provider.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { personClient } from './people-client.ts'
import { signInByProvider } from './sso-browser.ts'

/**
 * Single sign-on against a real OpenID provider (`oidc-provider`) on loopback: the browser's part
 * (redirects, cookies, the provider's login and consent forms) is done by hand over real HTTP,
 * to the real server on a real SQLite file.
 */

let idp: TestProvider
let issuer: string
let server: TestServer

beforeAll(async () => {
  idp = await startTestProvider({
    ada: { email: 'Ada@Example.com', name: 'Ada Lovelace', groups: ['pm', 'everyone'] },
    eve: { email: 'eve@example.com', name: 'Eve', groups: ['everyone'] },
    noemail: { email: '', name: 'No Mail', groups: ['pm'] },
    root: { email: 'root@example.com', name: 'Root', groups: ['canary-admins'] },
    boss: { email: 'Boss@Example.com', name: 'Boss', groups: ['pm'] },
    later: { email: 'later@example.com', name: 'Later', groups: ['pm'] },
  })
  issuer = idp.issuer
  server = await startTestServer({
    sso: idp.ssoConfig('canary-admins=*:admin,pm=production:editor,pm=staging:approver', {
      adminEmails: ['boss@example.com', 'later@example.com'],
    }),
  })
  idp.register(`${server.url}/api/v1/sso/callback`)
}, 60_000)
afterAll(async () => {
  await server?.close()
  await idp?.close()
})

/** Starts at the server, signs in at the provider as `login`, consents, and lands where the server sends the browser. */
const signInThroughProvider = (login: string, tamper?: (callback: URL) => URL) => signInByProvider(server, login, tamper)

describe('single sign-on with OpenID Connect', () => {
  it('tells the console the provider is configured', async () => {
    const res = await fetch(`${server.url}/api/v1/sso`)
    expect(await res.json()).toEqual({ enabled: true, name: 'Test IdP', ssoOnly: false })
  })

  it('starts with an authorization code request with PKCE (S256), state and nonce, kept in a short-lived httpOnly cookie', async () => {
    const res = await fetch(`${server.url}/api/v1/sso/start`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    const to = new URL(res.headers.get('location')!)
    expect(to.origin).toBe(issuer)
    expect(to.searchParams.get('response_type')).toBe('code')
    expect(to.searchParams.get('code_challenge_method')).toBe('S256')
    expect(to.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(to.searchParams.get('state')).toBeTruthy()
    expect(to.searchParams.get('nonce')).toBeTruthy()
    expect(to.searchParams.get('redirect_uri')).toBe(`${server.url}/api/v1/sso/callback`)
    const [cookie] = res.headers.getSetCookie()
    expect(cookie).toMatch(/^canary_sso=/)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Lax/)
    expect(cookie).toMatch(/Max-Age=600/)
  })

  it('signs a person in: created just in time with the roles their groups map to, and audited', async () => {
    const { browser: b, callback } = await signInThroughProvider('ada')
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe('/')
    const session = b.jarOf(new URL(server.url)).get('canary_session')
    expect(session).toMatch(/^[\w-]{40,}$/)
    const ada = personClient(server)
    ada.cookie = `canary_session=${session}`
    const me = await ada.call('GET', '/api/v1/session')
    expect(me.status).toBe(200)
    expect(me.json).toMatchObject({ type: 'person', via: 'session', person: { email: 'ada@example.com', name: 'Ada Lovelace', admin: false } })
    expect(me.json.person.roles).toEqual(
      expect.arrayContaining([
        { environment: 'production', role: 'editor' },
        { environment: 'staging', role: 'approver' },
      ]),
    )
    expect(me.json.person.roles).toHaveLength(2)
    const audit = await server.api('GET', '/api/v1/audit?actor=person:ada@example.com&limit=50')
    const signIn = audit.json.items.find((r: { action: string }) => r.action === 'session.sign_in')
    expect(signIn.details).toMatchObject({ method: 'sso', groups: ['pm', 'everyone'] })
    // A second sign-in finds the same person (no duplicate).
    await signInThroughProvider('ada')
    const members = await server.api('GET', '/api/v1/members')
    expect(members.json.items.filter((p: { email: string }) => p.email === 'ada@example.com')).toHaveLength(1)
  })

  it('refuses a person in no mapped group with a 400 page, creates nobody and starts no session', async () => {
    const { browser: b, callback, body } = await signInThroughProvider('eve')
    expect(callback.status).toBe(400)
    expect(body).toContain('eve@example.com is in no group that CANARY_OIDC_ROLES gives a role')
    expect(b.jarOf(new URL(server.url)).has('canary_session')).toBe(false)
    const members = await server.api('GET', '/api/v1/members')
    expect(members.json.items.map((p: { email: string }) => p.email)).not.toContain('eve@example.com')
    const audit = await server.api('GET', '/api/v1/audit?actor=person:eve@example.com&limit=50')
    expect(audit.json.items.map((r: { action: string }) => r.action)).toContain('session.sign_in_failed')
  })

  it('maps a group to a role in every environment (`*`)', async () => {
    const { browser: b, callback } = await signInThroughProvider('root')
    expect(callback.status).toBe(302)
    const root = personClient(server)
    root.cookie = `canary_session=${b.jarOf(new URL(server.url)).get('canary_session')}`
    const me = await root.call('GET', '/api/v1/session')
    expect(me.json.person.roles).toEqual([{ environment: '*', role: 'admin' }])
    // An admin of every environment may create a flag (a write on shared definitions).
    const created = await root.call('POST', '/api/v1/flags', { key: 'made-by-sso-admin' })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
  })

  it('makes the first sign-in of an email named in CANARY_ADMIN_EMAILS a global admin while none exists, audited; the next named one is not', async () => {
    const before = await server.api('GET', '/api/v1/members')
    expect(before.json.items.some((p: { admin: boolean }) => p.admin)).toBe(false)
    const { browser: b, callback } = await signInThroughProvider('boss')
    expect(callback.status).toBe(302)
    const boss = personClient(server)
    boss.cookie = `canary_session=${b.jarOf(new URL(server.url)).get('canary_session')}`
    const me = await boss.call('GET', '/api/v1/session')
    expect(me.json.person).toMatchObject({ email: 'boss@example.com', admin: true })
    // A global admin manages members.
    expect((await boss.call('GET', '/api/v1/members')).status).toBe(200)
    const audit = await server.api('GET', '/api/v1/audit?actor=sso&limit=50')
    const first = audit.json.items.filter((r: { action: string }) => r.action === 'person.first_admin')
    expect(first).toHaveLength(1)
    expect(first[0].details).toMatchObject({ person: 'boss@example.com' })
    // Named too, but a global admin exists now: the groups' roles only.
    const later = await signInThroughProvider('later')
    expect(later.callback.status).toBe(302)
    const members = (await server.api('GET', '/api/v1/members')).json.items
    expect(members.find((p: { email: string }) => p.email === 'later@example.com')).toMatchObject({ admin: false })
    // Boss signs in again: stays the global admin (the groups do not take it away).
    await signInThroughProvider('boss')
    expect((await server.api('GET', '/api/v1/members')).json.items.filter((p: { admin: boolean }) => p.admin).map((p: { email: string }) => p.email)).toEqual(['boss@example.com'])
  })

  it('a person who signs in only by SSO has no password to change (409 saying so)', async () => {
    const { browser: b } = await signInThroughProvider('ada')
    const ada = personClient(server)
    ada.cookie = `canary_session=${b.jarOf(new URL(server.url)).get('canary_session')}`
    const res = await ada.call('POST', '/api/v1/session/password', { currentPassword: 'anything at all here', newPassword: 'a new passphrase here' })
    expect(res.status).toBe(409)
    expect(res.json.error.message).toMatch(/no password to change: they sign in by single sign-on/)
  })

  it('refuses an account without an email', async () => {
    const { callback, body } = await signInThroughProvider('noemail')
    expect(callback.status).toBe(400)
    expect(body).toContain('the provider named no email')
  })

  it('refuses a callback whose state is not the one this browser started, without a session', async () => {
    const { browser: b, callback, body } = await signInThroughProvider('ada', (url) => {
      url.searchParams.set('state', 'not-the-state-we-sent')
      return url
    })
    expect(callback.status).toBe(400)
    expect(body).toContain('state mismatch')
    expect(b.jarOf(new URL(server.url)).has('canary_session')).toBe(false)
  })

  it('refuses a callback from a browser that started no sign-in', async () => {
    const res = await fetch(`${server.url}/api/v1/sso/callback?code=abc&state=xyz`)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('no sign-in was started in this browser')
    expect(res.headers.getSetCookie().some((c) => c.startsWith('canary_session='))).toBe(false)
  })
})

describe('CANARY_SSO_ONLY', () => {
  it('refuses password sign-in with a 403 that points to single sign-on, and says so to the console', async () => {
    const only = await startTestServer({ ssoOnly: true })
    try {
      const created = await only.api('POST', '/api/v1/members', { email: 'pw@example.com', name: 'Pw', password: 'correct horse battery staple', roles: [] })
      expect(created.status).toBe(201)
      const res = await personClient(only).signIn('pw@example.com', 'correct horse battery staple')
      expect(res.status).toBe(403)
      expect(res.json.error.message).toContain('CANARY_SSO_ONLY=1')
      expect(res.headers.getSetCookie()).toEqual([])
    } finally {
      await only.close()
    }
  })
})

describe('a provider that cannot be reached', () => {
  it('answers the start with a 502 page that says so, and tries discovery again on the next start', async () => {
    const down = await startTestProvider({})
    const issuerDown = down.issuer
    // Its port answers 503 until a client is registered: discovery fails.
    const s = await startTestServer({
      sso: down.ssoConfig('pm=production:editor', { displayName: 'Down' }),
    })
    try {
      const first = await fetch(`${s.url}/api/v1/sso/start`, { redirect: 'manual' })
      expect(first.status).toBe(502)
      expect(await first.text()).toContain('the identity provider could not be reached')
      expect(first.headers.getSetCookie()).toEqual([])
      down.register(`${s.url}/api/v1/sso/callback`)
      const second = await fetch(`${s.url}/api/v1/sso/start`, { redirect: 'manual' })
      expect(second.status).toBe(302)
      expect(new URL(second.headers.get('location')!).origin).toBe(issuerDown)
    } finally {
      await s.close()
      await down.close()
    }
  })
})

