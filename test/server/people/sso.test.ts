import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRoleMap } from '../../../server/auth/sso-config.ts'
import { startTestProvider, type TestProvider } from '../../helpers/oidc-provider.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { personClient } from './people-client.ts'

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
  })
  issuer = idp.issuer
  server = await startTestServer({
    sso: {
      issuer: new URL(issuer),
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      redirectBase: '',
      groupsClaim: 'groups',
      roleMap: parseRoleMap('canary-admins=*:admin,pm=production:editor,pm=staging:approver'),
      displayName: 'Test IdP',
    },
  })
  idp.register(`${server.url}/api/v1/sso/callback`)
}, 60_000)
afterAll(async () => {
  await server?.close()
  await idp?.close()
})

/** A browser's cookie jar, by origin (the provider and the server share 127.0.0.1 on different ports). */
function browser() {
  const jars = new Map<string, Map<string, string>>()
  const jarOf = (url: URL) => jars.get(url.origin) ?? jars.set(url.origin, new Map()).get(url.origin)!
  async function request(url: URL, init: { method?: string; form?: Record<string, string> } = {}) {
    const jar = jarOf(url)
    const headers: Record<string, string> = {}
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(url, { method: init.method ?? 'GET', headers, redirect: 'manual', body: init.form && new URLSearchParams(init.form).toString() })
    for (const set of res.headers.getSetCookie()) {
      const [pair] = set.split(';')
      const eq = pair!.indexOf('=')
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)]
      if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(set)) jar.delete(name)
      else jar.set(name, value)
    }
    return res
  }
  /** Follows redirects (at most 20), as a browser would. */
  async function navigate(start: URL, init: { method?: string; form?: Record<string, string> } = {}) {
    let res = await request(start, init)
    let url = start
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 20; hops++) {
      url = new URL(res.headers.get('location')!, url)
      res = await request(url)
    }
    return { res, url, body: await res.text() }
  }
  return { request, navigate, jarOf }
}

/** Submits the provider's form on `page` (its action and hidden fields) with `fields` added. */
function formOf(body: string, base: URL, fields: Record<string, string> = {}) {
  const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1]
  if (!action) throw new Error(`no form on the provider's page: ${body.slice(0, 500)}`)
  const hidden = Object.fromEntries([...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
  return { url: new URL(action.replace(/&amp;/g, '&'), base), form: { ...hidden, ...fields } }
}

/** Starts at the server, signs in at the provider as `login`, consents, and lands where the server sends the browser. */
async function signInThroughProvider(login: string, tamper?: (callback: URL) => URL) {
  const b = browser()
  const start = await b.request(new URL('/api/v1/sso/start', server.url))
  expect(start.status).toBe(302)
  let page = await b.navigate(new URL(start.headers.get('location')!))
  expect(page.body).toContain('name="login"')
  const loginForm = formOf(page.body, page.url, { login, password: 'any' })
  // The provider answers the login with a redirect to the consent page, then (after consent) to our callback.
  let res = await b.request(loginForm.url, { method: 'POST', form: loginForm.form })
  let url = loginForm.url
  for (let hops = 0; hops < 20; hops++) {
    if (res.status >= 300 && res.status < 400) {
      let next = new URL(res.headers.get('location')!, url)
      if (next.pathname === '/api/v1/sso/callback') {
        if (tamper) next = tamper(next)
        const callback = await b.request(next)
        return { browser: b, callback, body: await callback.text() }
      }
      url = next
      res = await b.request(url)
      continue
    }
    const body = await res.text()
    expect(body, 'the consent page').toContain('name="prompt" value="consent"')
    const consent = formOf(body, url)
    url = consent.url
    res = await b.request(url, { method: 'POST', form: consent.form })
  }
  throw new Error('the provider never sent the browser back to the server')
}

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
      sso: { issuer: new URL(issuerDown), clientId: down.clientId, clientSecret: down.clientSecret, redirectBase: '', groupsClaim: 'groups', roleMap: parseRoleMap('pm=production:editor'), displayName: 'Down' },
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

