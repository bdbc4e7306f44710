import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { openConsoleStream, personClient, TEST_PASSWORD_COST } from './people-client.ts'

/**
 * Password sign-in, sessions and their cookie, CSRF and sign-out, against a real server on
 * loopback (real SQLite file, real HTTP).
 */

const PASSWORD = 'correct horse battery staple'
let server: TestServer
const slept: number[] = []

beforeAll(async () => {
  server = await startTestServer({
    passwordCost: TEST_PASSWORD_COST,
    // Delays are recorded, not waited: the test reads the figures, never the clock.
    signInThrottle: { sleep: async (ms) => void slept.push(ms) },
  })
  const created = await server.api('POST', '/api/v1/members', {
    email: 'Pat@Example.com',
    name: 'Pat',
    password: PASSWORD,
    roles: [{ environment: 'production', role: 'editor' }],
  })
  expect(created.status, JSON.stringify(created.json)).toBe(201)
})
afterAll(() => server.close())

describe('password sign-in', () => {
  it('sets an httpOnly, SameSite=Strict session cookie (not Secure over plain HTTP) and answers who signed in', async () => {
    const pat = personClient(server)
    const res = await pat.signIn('pat@example.com', PASSWORD)
    expect(res.status, JSON.stringify(res.json)).toBe(201)
    expect(res.json.person).toMatchObject({ email: 'pat@example.com', roles: [{ environment: 'production', role: 'editor' }] })
    const [set] = res.headers.getSetCookie()
    expect(set).toMatch(/^canary_session=[\w-]{40,};/)
    expect(set).toMatch(/HttpOnly/)
    expect(set).toMatch(/SameSite=Strict/)
    expect(set).toMatch(/Path=\//)
    expect(set).not.toMatch(/Secure/)
    expect(JSON.stringify(res.json)).not.toContain(pat.cookie!.split('=')[1])
    const me = await pat.call('GET', '/api/v1/session')
    expect(me.json).toMatchObject({ type: 'person', via: 'session', person: { email: 'pat@example.com' } })
  })

  it('answers a wrong password and an unknown email with the same 401, and audits the failure by email', async () => {
    const wrong = await personClient(server).signIn('pat@example.com', 'not the password at all')
    const unknown = await personClient(server).signIn('nobody@example.com', 'not the password at all')
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(wrong.json.error.message).toBe(unknown.json.error.message)
    expect(wrong.headers.getSetCookie()).toEqual([])
    const audit = await server.api('GET', '/api/v1/audit?actor=person:pat@example.com&limit=50')
    const actions = audit.json.items.map((r: { action: string }) => r.action)
    expect(actions).toContain('session.sign_in_failed')
    expect(actions).toContain('session.sign_in')
    expect(JSON.stringify(audit.json)).not.toContain('not the password')
  })

  it('delays repeated failures on an account, doubling, and still lets the right password in', async () => {
    await server.api('POST', '/api/v1/members', { email: 'sam@example.com', name: 'Sam', password: PASSWORD })
    slept.length = 0
    for (let i = 0; i < 6; i++) expect((await personClient(server).signIn('sam@example.com', `wrong password ${i}`)).status).toBe(401)
    // Three free failures, then 500 ms doubling (the throttle's defaults).
    expect(slept).toEqual([500, 1000, 2000])
    const right = await personClient(server).signIn('sam@example.com', PASSWORD)
    expect(right.status).toBe(201)
    expect(slept.at(-1)).toBe(4000)
    // Success forgot the account's failures: the next attempt waits for nothing on its account.
    slept.length = 0
    expect((await personClient(server).signIn('sam@example.com', PASSWORD)).status).toBe(201)
    expect(slept).toEqual([])
  })

  it('refuses bad input with the field named and signs nobody in', async () => {
    const res = await personClient(server).call('POST', '/api/v1/session', { email: 'not-an-email', password: 'x' })
    expect(res.status).toBe(400)
    expect(res.json.error.message).toMatch(/email/)
    expect(res.headers.getSetCookie()).toEqual([])
  })
})

describe('writes with a session cookie', () => {
  it('need the CSRF header: without it 403 and nothing changes', async () => {
    await server.api('POST', '/api/v1/flags', { key: 'csrf-flag' })
    const pat = personClient(server)
    await pat.signIn('pat@example.com', PASSWORD)
    const before = await server.api('GET', '/api/v1/environments/production/flags/csrf-flag')
    const forged = await pat.call('PATCH', '/api/v1/environments/production/flags/csrf-flag', { enabled: true }, { csrf: false })
    expect(forged.status).toBe(403)
    expect(forged.json.error.message).toMatch(/x-canary-csrf/)
    expect((await server.api('GET', '/api/v1/environments/production/flags/csrf-flag')).json.version).toBe(before.json.version)
    const real = await pat.call('PATCH', '/api/v1/environments/production/flags/csrf-flag', { enabled: true })
    expect(real.status, JSON.stringify(real.json)).toBe(200)
    const [row] = (await server.api('GET', '/api/v1/audit?flag=csrf-flag&env=production&limit=1')).json.items
    expect(row.actor).toBe('person:pat@example.com')
  })
})

describe('sign-out and password change', () => {
  it('sign-out ends the session at once: the same cookie is 401 afterwards', async () => {
    const pat = personClient(server)
    await pat.signIn('pat@example.com', PASSWORD)
    const stolen = pat.cookie
    const out = await pat.call('DELETE', '/api/v1/session')
    expect(out.status).toBe(204)
    expect(out.headers.getSetCookie()[0]).toMatch(/canary_session=;/)
    const thief = personClient(server)
    thief.cookie = stolen
    expect((await thief.call('GET', '/api/v1/session')).status).toBe(401)
  })

  it('a password change by a global admin ends every session of the person', async () => {
    const a = personClient(server)
    const b = personClient(server)
    await a.signIn('pat@example.com', PASSWORD)
    await b.signIn('pat@example.com', PASSWORD)
    const id = (await a.call('GET', '/api/v1/session')).json.person.id
    const changed = await server.api('PATCH', `/api/v1/members/${id}`, { password: 'another long passphrase' })
    expect(changed.status, JSON.stringify(changed.json)).toBe(200)
    expect((await a.call('GET', '/api/v1/session')).status).toBe(401)
    expect((await b.call('GET', '/api/v1/session')).status).toBe(401)
    expect((await personClient(server).signIn('pat@example.com', 'another long passphrase')).status).toBe(201)
    // Restore for the other tests.
    await server.api('PATCH', `/api/v1/members/${id}`, { password: PASSWORD })
  })

  it('refuses a short password with the rule, changing nothing', async () => {
    const res = await server.api('POST', '/api/v1/members', { email: 'short@example.com', name: 'S', password: 'short' })
    expect(res.status).toBe(400)
    expect(res.json.error.message).toMatch(/password: at least 12 characters/)
    expect((await server.api('GET', '/api/v1/members')).json.items.map((p: { email: string }) => p.email)).not.toContain('short@example.com')
  })
})

describe('a person changes their own password', () => {
  const NEW = 'a brand new passphrase 42'
  const change = (client: ReturnType<typeof personClient>, body: unknown, options?: { csrf?: boolean }) =>
    client.call('POST', '/api/v1/session/password', body, options)
  let quinnId: string
  beforeAll(async () => {
    const res = await server.api('POST', '/api/v1/members', { email: 'quinn@example.com', name: 'Quinn', password: PASSWORD, roles: [{ environment: 'production', role: 'viewer' }] })
    expect(res.status, JSON.stringify(res.json)).toBe(201)
    quinnId = res.json.id
  })

  it('needs the current password; ends every other session and console stream at once, keeps this one, and is audited', async () => {
    const here = personClient(server)
    const elsewhere = personClient(server)
    expect((await here.signIn('quinn@example.com', PASSWORD)).status).toBe(201)
    expect((await elsewhere.signIn('quinn@example.com', PASSWORD)).status).toBe(201)
    const stream = await openConsoleStream(server, elsewhere, 'production')
    const res = await change(here, { currentPassword: PASSWORD, newPassword: NEW })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json).toEqual({ endedSessions: 1 })
    expect(await stream.closed).toBe(4401)
    expect((await elsewhere.call('GET', '/api/v1/session')).status).toBe(401)
    expect((await here.call('GET', '/api/v1/session')).json.person.email).toBe('quinn@example.com')
    expect((await personClient(server).signIn('quinn@example.com', PASSWORD)).status).toBe(401)
    expect((await personClient(server).signIn('quinn@example.com', NEW)).status).toBe(201)
    const audit = await server.api('GET', '/api/v1/audit?actor=person:quinn@example.com&limit=50')
    const row = audit.json.items.find((r: { action: string }) => r.action === 'person.password')
    expect(row.details).toEqual({ person: 'quinn@example.com', endedSessions: 1, keptOwnSession: true })
    expect(JSON.stringify(audit.json)).not.toContain(NEW)
    await server.api('PATCH', `/api/v1/members/${quinnId}`, { password: PASSWORD }) // restore
  })

  it('refuses a wrong current password with 403 naming currentPassword (never 401), audited, nothing changed', async () => {
    const here = personClient(server)
    const elsewhere = personClient(server)
    await here.signIn('quinn@example.com', PASSWORD)
    await elsewhere.signIn('quinn@example.com', PASSWORD)
    const res = await change(here, { currentPassword: 'not the current one', newPassword: NEW })
    expect(res.status).toBe(403)
    expect(res.json.error.message).toMatch(/^currentPassword: /)
    expect((await elsewhere.call('GET', '/api/v1/session')).status).toBe(200)
    expect((await personClient(server).signIn('quinn@example.com', PASSWORD)).status).toBe(201)
    const audit = await server.api('GET', '/api/v1/audit?actor=person:quinn@example.com&limit=5')
    expect(audit.json.items.map((r: { action: string }) => r.action)).toContain('person.password_failed')
    expect(JSON.stringify(audit.json)).not.toContain('not the current one')
  })

  it('slows repeated wrong current passwords like sign-ins (the same per-account throttle)', async () => {
    const here = personClient(server)
    await here.signIn('quinn@example.com', PASSWORD)
    slept.length = 0
    for (let i = 0; i < 4; i++) expect((await change(here, { currentPassword: `wrong guess ${i}`, newPassword: NEW })).status).toBe(403)
    // Three free failures on the account, so at least the fourth waited (the address's earlier failures in this file may add more).
    expect(slept.length).toBeGreaterThanOrEqual(1)
    expect(slept.every((ms) => ms >= 500)).toBe(true)
    expect((await personClient(server).signIn('quinn@example.com', PASSWORD)).status).toBe(201) // a success forgets the failures
  })

  it('refuses a short new password, the same password, bad fields, no CSRF header and an API key, changing nothing', async () => {
    const here = personClient(server)
    await here.signIn('quinn@example.com', PASSWORD)
    const short = await change(here, { currentPassword: PASSWORD, newPassword: 'short' })
    expect(short.status).toBe(400)
    expect(short.json.error.message).toBe('newPassword: at least 12 characters')
    const same = await change(here, { currentPassword: PASSWORD, newPassword: PASSWORD })
    expect(same.status).toBe(400)
    expect(same.json.error.message).toMatch(/newPassword: is the current password/)
    const missing = await change(here, { newPassword: NEW })
    expect(missing.status).toBe(400)
    expect(missing.json.error.message).toMatch(/currentPassword/)
    const forged = await change(here, { currentPassword: PASSWORD, newPassword: NEW }, { csrf: false })
    expect(forged.status).toBe(403)
    expect(forged.json.error.message).toMatch(/x-canary-csrf/)
    const key = await server.api('POST', '/api/v1/session/password', { currentPassword: PASSWORD, newPassword: NEW })
    expect(key.status).toBe(403)
    expect(key.json.error.message).toMatch(/belongs to a person/)
    expect((await personClient(server).signIn('quinn@example.com', PASSWORD)).status).toBe(201)
    expect((await here.call('GET', '/api/v1/session')).status).toBe(200)
  })
})

describe('behind a trusted proxy', () => {
  it('marks the cookie Secure when the proxy says the request came over HTTPS, and only then', async () => {
    const proxied = await startTestServer({ passwordCost: TEST_PASSWORD_COST, clientLimits: { trustedProxies: 1 } })
    try {
      await proxied.api('POST', '/api/v1/members', { email: 'pat@example.com', name: 'Pat', password: PASSWORD })
      const https = await personClient(proxied).call('POST', '/api/v1/session', { email: 'pat@example.com', password: PASSWORD }, { headers: { 'x-forwarded-proto': 'https' } })
      expect(https.headers.getSetCookie()[0]).toMatch(/; Secure/)
      const http = await personClient(proxied).call('POST', '/api/v1/session', { email: 'pat@example.com', password: PASSWORD }, { headers: { 'x-forwarded-proto': 'http' } })
      expect(http.headers.getSetCookie()[0]).not.toMatch(/Secure/)
    } finally {
      await proxied.close()
    }
    // Without trusted proxies the header is the client's word and is ignored.
    const direct = await personClient(server).call('POST', '/api/v1/session', { email: 'pat@example.com', password: PASSWORD }, { headers: { 'x-forwarded-proto': 'https' } })
    expect(direct.headers.getSetCookie()[0]).not.toMatch(/Secure/)
  })
})
