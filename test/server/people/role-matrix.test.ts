import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { personClient, TEST_PASSWORD_COST } from './people-client.ts'

/**
 * Roles as a signed-in person meets them: every admin route × every role × own (production) or
 * other (development) environment, over real HTTP on loopback with session cookies. What the
 * key matrix (test/server/isolation/env-scope.test.ts) is for keys. A refused request is 403 and
 * leaves versions and the audit log as they were.
 */

const PASSWORD = 'matrix passphrase 0123'
type Who = 'global-admin' | 'prod-viewer' | 'prod-editor' | 'prod-approver' | 'prod-admin' | 'dev-editor' | 'every-editor' | 'every-admin' | 'no-role'
const PEOPLE: Array<[Who, { admin?: boolean; roles: Array<{ environment: string; role: string }> }]> = [
  ['global-admin', { admin: true, roles: [] }],
  ['prod-viewer', { roles: [{ environment: 'production', role: 'viewer' }] }],
  ['prod-editor', { roles: [{ environment: 'production', role: 'editor' }] }],
  ['prod-approver', { roles: [{ environment: 'production', role: 'approver' }] }],
  ['prod-admin', { roles: [{ environment: 'production', role: 'admin' }, { environment: 'development', role: 'viewer' }] }],
  ['dev-editor', { roles: [{ environment: 'development', role: 'editor' }] }],
  ['every-editor', { roles: [{ environment: '*', role: 'editor' }] }],
  ['every-admin', { roles: [{ environment: '*', role: 'admin' }] }],
  ['no-role', { roles: [] }],
]
const WHO = PEOPLE.map(([who]) => who)

const READ_PROD: Who[] = ['global-admin', 'prod-viewer', 'prod-editor', 'prod-approver', 'prod-admin', 'every-editor', 'every-admin']
const WRITE_PROD: Who[] = ['global-admin', 'prod-editor', 'prod-approver', 'prod-admin', 'every-editor', 'every-admin']
const READ_DEV: Who[] = ['global-admin', 'prod-admin', 'dev-editor', 'every-editor', 'every-admin']
const WRITE_DEV: Who[] = ['global-admin', 'dev-editor', 'every-editor', 'every-admin']
const READ_SHARED: Who[] = WHO.filter((w) => w !== 'no-role')
const WRITE_SHARED: Who[] = ['global-admin', 'every-editor', 'every-admin']
const ADMIN_SHARED: Who[] = ['global-admin', 'every-admin']
const MEMBERS: Who[] = ['global-admin']

const P = '/api/v1/environments/production'
const D = '/api/v1/environments/development'
/** [method, path, body, who may]; a body or path may depend on the person (fresh names per cell). */
type Route = [string, string | ((who: Who) => string), unknown | ((who: Who) => unknown), Who[]]
const ROUTES: Route[] = [
  ['GET', `${P}/flags`, undefined, READ_PROD],
  ['GET', `${P}/flags/f1`, undefined, READ_PROD],
  ['PATCH', `${P}/flags/f1`, { enabled: true }, WRITE_PROD],
  ['PUT', `${P}/flags/f1/cohorts/beta/rollout`, { rollout: 50 }, WRITE_PROD],
  ['GET', `${P}/segments`, undefined, READ_PROD],
  ['POST', `${P}/segments`, (who: Who) => ({ key: `seg-${who}` }), WRITE_PROD],
  ['DELETE', (who: Who) => `${P}/segments/gone-${who}`, undefined, WRITE_PROD],
  ['GET', `${P}/flags/f1/guard`, undefined, READ_PROD],
  ['PUT', `${P}/flags/f1/guard`, { maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60 }, WRITE_PROD],
  ['GET', `${P}/flags/f1/metrics`, undefined, READ_PROD],
  ['GET', '/api/v1/audit?env=production', undefined, READ_PROD],
  ['POST', '/api/v1/stream-tickets', { environment: 'production' }, READ_PROD],
  ['GET', `${D}/flags/f1`, undefined, READ_DEV],
  ['PATCH', `${D}/flags/f1`, { enabled: true }, WRITE_DEV],
  ['POST', '/api/v1/stream-tickets', { environment: 'development' }, READ_DEV],
  ['GET', '/api/v1/flags', undefined, READ_SHARED],
  ['GET', '/api/v1/environments', undefined, READ_SHARED],
  ['POST', '/api/v1/flags', (who: Who) => ({ key: `flag-${who}` }), WRITE_SHARED],
  ['PATCH', '/api/v1/flags/f1', (who: Who) => ({ description: `by ${who}` }), WRITE_SHARED],
  ['POST', '/api/v1/environments', (who: Who) => ({ key: `env-${who}` }), ADMIN_SHARED],
  ['GET', '/api/v1/keys', undefined, ADMIN_SHARED],
  ['POST', '/api/v1/keys', (who: Who) => ({ name: `key-${who}`, kind: 'server', environment: 'production' }), ADMIN_SHARED],
  ['GET', '/api/v1/connections', undefined, ADMIN_SHARED],
  ['GET', '/api/v1/members', undefined, MEMBERS],
  ['POST', '/api/v1/members', (who: Who) => ({ email: `new-${who}@example.com`, name: 'New' }), MEMBERS],
  // Their own password: every person, whatever their roles (the session asking stays).
  ['POST', '/api/v1/session/password', { currentPassword: PASSWORD, newPassword: 'matrix passphrase changed' }, WHO],
]

let server: TestServer
const clients = new Map<Who, ReturnType<typeof personClient>>()

beforeAll(async () => {
  server = await startTestServer({ passwordCost: TEST_PASSWORD_COST, writesPerKeyPerSecond: 10_000 })
  await server.api('POST', '/api/v1/flags', { key: 'f1' })
  await server.api('PATCH', `${P}/flags/f1`, { cohorts: [{ name: 'beta', conditions: [], rollout: 10 }] })
  for (const [who, person] of PEOPLE) {
    const res = await server.api('POST', '/api/v1/members', { email: `${who}@example.com`, name: who, password: PASSWORD, ...person })
    expect(res.status, JSON.stringify(res.json)).toBe(201)
    await server.api('POST', `${P}/segments`, { key: `gone-${who}` })
    const client = personClient(server)
    expect((await client.signIn(`${who}@example.com`, PASSWORD)).status).toBe(201)
    clients.set(who, client)
  }
})
afterAll(() => server.close())

/** What a refused request must leave unchanged: every environment's version and the audit log's newest row. */
async function fingerprint() {
  const envs = (await server.api('GET', '/api/v1/environments')).json.items.map((e: { key: string; version: number }) => [e.key, e.version])
  const audit = (await server.api('GET', '/api/v1/audit?limit=1')).json.items[0]?.id
  return { envs, audit }
}

const cells = ROUTES.flatMap(([method, path, body, allowed]) =>
  WHO.map((who) => {
    const url = typeof path === 'function' ? path(who) : path
    return [`${method} ${url}`, who, method, url, typeof body === 'function' ? body(who) : body, allowed.includes(who)] as const
  }),
)

describe('route × role × environment matrix (session cookies)', () => {
  it.each(cells)('%s as %s', async (_name, who, method, path, body, allowed) => {
    const before = await fingerprint()
    const res = await clients.get(who)!.call(method, path, body)
    if (allowed) expect([200, 201, 204], JSON.stringify(res.json)).toContain(res.status)
    else {
      expect(res.status, JSON.stringify(res.json)).toBe(403)
      expect(res.json.error.code).toBe('forbidden')
      expect(await fingerprint()).toEqual(before)
    }
  })
})

describe('what a person reads is cut to their environments', () => {
  it('a development editor sees development states only in the flags list, environments and audit', async () => {
    const dev = clients.get('dev-editor')!
    const flags = await dev.call('GET', '/api/v1/flags')
    expect(Object.keys(flags.json.items.find((f: { key: string }) => f.key === 'f1').environments)).toEqual(['development'])
    const envs = await dev.call('GET', '/api/v1/environments')
    expect(envs.json.items.map((e: { key: string }) => e.key)).toEqual(['development'])
    const audit = await dev.call('GET', '/api/v1/audit?limit=500')
    expect(audit.json.items.length).toBeGreaterThan(0)
    expect(new Set(audit.json.items.map((r: { envKey: string | null }) => r.envKey))).toEqual(new Set(['development']))
  })

  it('every audited change names the person who made it', async () => {
    const res = await server.api('GET', '/api/v1/audit?env=production&actor=person:prod-editor@example.com&limit=50')
    expect(res.json.items.map((r: { action: string }) => r.action)).toEqual(expect.arrayContaining(['guard.set', 'segment.create', 'segment.delete']))
    expect(res.json.items.every((r: { actor: string }) => r.actor === 'person:prod-editor@example.com')).toBe(true)
  })
})
