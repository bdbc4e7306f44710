import { afterEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * Environment scope as an outside user meets it: a route × key matrix on production's routes,
 * then the shared reads (lists, summaries, audit) checked for anything of another environment.
 */

type KeyName = 'global-admin' | 'prod-admin' | 'dev-admin' | 'prod-server' | 'dev-server' | 'prod-client' | 'dev-client' | 'none'
const KEYS: KeyName[] = ['global-admin', 'prod-admin', 'dev-admin', 'prod-server', 'dev-server', 'prod-client', 'dev-client', 'none']

let s: Stack | undefined
afterEach(() => s?.close())

/** A fresh stack with flag f1 (a beta cohort naming a user) and a segment in production. */
async function setUp() {
  const stack = await makeStack()
  await stack.call('POST', '/api/v1/flags', { body: { key: 'f1', clientSide: true } })
  await stack.call('PATCH', '/api/v1/environments/production/flags/f1', {
    body: { enabled: true, cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['prod-only-user'] }], rollout: 100 }] },
  })
  await stack.call('POST', '/api/v1/environments/production/segments', { body: { key: 'staff', userIds: ['prod-staff-user'] } })
  const secrets = new Map<KeyName, string | null>([['global-admin', undefined as never], ['none', null]])
  for (const [name, kind, environment] of [
    ['prod-admin', 'admin', 'production'],
    ['dev-admin', 'admin', 'development'],
    ['prod-server', 'server', 'production'],
    ['dev-server', 'server', 'development'],
    ['prod-client', 'client', 'production'],
    ['dev-client', 'client', 'development'],
  ] as const) {
    const res = await stack.call('POST', '/api/v1/keys', { body: { name, kind, environment } })
    secrets.set(name, res.json.secret)
  }
  s = stack
  return { stack, key: (name: KeyName) => (name === 'global-admin' ? undefined : secrets.get(name)) }
}

const P = '/api/v1/environments/production'
/** Production's routes: [method, path, body, which keys may use it]. */
const ROUTES: Array<[string, string, unknown, KeyName[]]> = [
  ['GET', `${P}/flags`, undefined, ['global-admin', 'prod-admin']],
  ['GET', `${P}/flags/f1`, undefined, ['global-admin', 'prod-admin']],
  ['PATCH', `${P}/flags/f1`, { enabled: false }, ['global-admin', 'prod-admin']],
  ['PUT', `${P}/flags/f1/cohorts/beta/rollout`, { rollout: 50 }, ['global-admin', 'prod-admin']],
  ['GET', `${P}/segments`, undefined, ['global-admin', 'prod-admin']],
  ['GET', `${P}/segments/staff`, undefined, ['global-admin', 'prod-admin']],
  ['POST', `${P}/segments`, { key: 'new-segment' }, ['global-admin', 'prod-admin']],
  ['PUT', `${P}/segments/staff`, { key: 'staff', userIds: ['x'] }, ['global-admin', 'prod-admin']],
  ['DELETE', `${P}/segments/staff`, undefined, ['global-admin', 'prod-admin']],
  ['GET', `${P}/flags/f1/guard`, undefined, ['global-admin', 'prod-admin']],
  ['PUT', `${P}/flags/f1/guard`, { maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60 }, ['global-admin', 'prod-admin']],
  ['GET', `${P}/flags/f1/metrics`, undefined, ['global-admin', 'prod-admin']],
  ['POST', `${P}/evaluate`, { flag: 'f1', user: { userId: 'u' } }, ['global-admin', 'prod-admin', 'prod-server', 'prod-client']],
  ['GET', `${P}/snapshot`, undefined, ['global-admin', 'prod-admin', 'prod-server']],
  ['GET', '/api/v1/audit?env=production', undefined, ['global-admin', 'prod-admin']],
  // Protection needs a global admin key: an environment's own key cannot lift its approvals.
  ['PUT', `${P}/protection`, { approvals: 1 }, ['global-admin']],
  ['DELETE', `${P}/protection`, undefined, ['global-admin']],
  ['GET', '/api/v1/change-requests?env=production', undefined, ['global-admin', 'prod-admin']],
]

const cells = ROUTES.flatMap(([method, path, body, allowed]) =>
  KEYS.map((key) => [`${method} ${path}`, key, method, path, body, key === 'none' ? 401 : allowed.includes(key) ? 'ok' : 403] as const),
)

describe('route × key matrix on production', () => {
  it.each(cells)('%s with %s', async (_name, keyName, method, path, body, expected) => {
    const { stack, key } = await setUp()
    const before = (await stack.fingerprint())
    const res = await stack.call(method, path, { body, key: key(keyName) })
    if (expected === 'ok') expect(res.status, JSON.stringify(res.json)).toBeLessThan(300)
    else {
      expect(res.status, JSON.stringify(res.json)).toBe(expected)
      expect(res.json.error.code).toBe(expected === 401 ? 'unauthorized' : 'forbidden')
      expect((await stack.fingerprint())).toEqual(before)
    }
  })
})

describe("an environment's admin key reads nothing of another environment", () => {
  it('the flags list shows its own environment only', async () => {
    const { stack, key } = await setUp()
    const res = await stack.call('GET', '/api/v1/flags', { key: key('dev-admin') })
    expect(res.status).toBe(200)
    expect(Object.keys(res.json.items[0].environments)).toEqual(['development'])
    expect(JSON.stringify(res.json)).not.toContain('production')
    const global = await stack.call('GET', '/api/v1/flags')
    expect(Object.keys(global.json.items[0].environments).sort()).toEqual(['development', 'production'])
  })

  it("a flag's read carries its own state only, never another environment's user ids", async () => {
    const { stack, key } = await setUp()
    const res = await stack.call('GET', '/api/v1/flags/f1', { key: key('dev-admin') })
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ key: 'f1', clientSide: true })
    expect(res.json.states.map((st: { environment: string }) => st.environment)).toEqual(['development'])
    expect(JSON.stringify(res.json)).not.toContain('prod-only-user')
  })

  it('the environments list shows its own environment only', async () => {
    const { stack, key } = await setUp()
    const res = await stack.call('GET', '/api/v1/environments', { key: key('dev-admin') })
    expect(res.json.items.map((e: { key: string }) => e.key)).toEqual(['development'])
  })

  it('the audit log defaults to its own environment and refuses another', async () => {
    const { stack, key } = await setUp()
    const own = await stack.call('GET', '/api/v1/audit?limit=500', { key: key('dev-admin') })
    expect(own.status).toBe(200)
    expect(own.json.items.length).toBeGreaterThan(0)
    expect(new Set(own.json.items.map((row: { envKey: string }) => row.envKey))).toEqual(new Set(['development']))
    expect(JSON.stringify(own.json)).not.toContain('prod-only-user')
    expect((await stack.call('GET', '/api/v1/audit?env=production', { key: key('dev-admin') })).status).toBe(403)
  })

  it('shared definitions stay readable but only a global admin key changes them', async () => {
    const { stack, key } = await setUp()
    const before = (await stack.fingerprint())
    const res = await stack.call('PATCH', '/api/v1/flags/f1', { body: { description: 'x' }, key: key('dev-admin') })
    expect(res.status).toBe(403)
    expect((await stack.fingerprint())).toEqual(before)
  })
})
