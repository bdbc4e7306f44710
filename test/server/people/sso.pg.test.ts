import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startTestProvider, type TestProvider } from '../../helpers/oidc-provider.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { personClient } from './people-client.ts'
import { signInByProvider } from './sso-browser.ts'

/**
 * Single sign-on on PostgreSQL replicas: a person signs in through a real provider
 * (`oidc-provider` on loopback) on replica A, is created just in time as the first global admin
 * (`CANARY_ADMIN_EMAILS`), and the session works on A and on replica B; a removal on B ends it on A.
 */

let idp: TestProvider
let database: TestDatabase
let a: TestServer
let b: TestServer

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'))
  idp = await startTestProvider({
    ops: { email: 'ops@example.com', name: 'Ops', groups: ['pm'] },
    pam: { email: 'pam@example.com', name: 'Pam', groups: ['pm'] },
  })
  const sso = idp.ssoConfig('pm=production:editor', { adminEmails: ['ops@example.com'] })
  a = await startTestServer({ sso }, { databaseUrl: database.url })
  b = await startTestServer({ sso }, { databaseUrl: database.url })
  idp.register(`${a.url}/api/v1/sso/callback`)
}, 60_000)
afterAll(async () => {
  await b?.close()
  await a?.close()
  await idp?.close()
  await database?.drop()
})

const sessionOf = (signedIn: Awaited<ReturnType<typeof signInByProvider>>, server: TestServer) => {
  const client = personClient(server)
  client.cookie = `canary_session=${signedIn.browser.jarOf(new URL(server.url)).get('canary_session')}`
  return client
}

describe('single sign-on on PostgreSQL replicas', () => {
  it('a person signed in by SSO on replica A is created in PostgreSQL, their session works on A and B, and a removal on B ends it', async () => {
    const ops = await signInByProvider(a, 'ops')
    expect(ops.callback.status, ops.body).toBe(302)
    const onA = sessionOf(ops, a)
    const me = await onA.call('GET', '/api/v1/session')
    expect(me.status).toBe(200)
    expect(me.json.person).toMatchObject({ email: 'ops@example.com', admin: true, roles: [{ environment: 'production', role: 'editor' }] })
    // The same cookie on the other replica: sessions live in the shared database.
    const onB = personClient(b)
    onB.cookie = onA.cookie
    expect((await onB.call('GET', '/api/v1/session')).json.person.email).toBe('ops@example.com')
    // A session write through B, audited by person.
    expect((await onB.call('POST', '/api/v1/flags', { key: 'made-over-sso' })).status).toBe(201)
    const rows = (await b.api('GET', '/api/v1/audit?actor=person:ops@example.com&flag=made-over-sso&limit=10')).json.items
    expect(rows.map((r: { action: string }) => r.action)).toContain('flag.create')

    const pam = await signInByProvider(a, 'pam')
    expect(pam.callback.status, pam.body).toBe(302)
    const pamOnA = sessionOf(pam, a)
    const pamMe = (await pamOnA.call('GET', '/api/v1/session')).json.person
    expect(pamMe).toMatchObject({ email: 'pam@example.com', admin: false })
    expect((await onB.call('DELETE', `/api/v1/members/${pamMe.id}`)).status).toBe(204)
    expect((await pamOnA.call('GET', '/api/v1/session')).status).toBe(401)
  })
})
