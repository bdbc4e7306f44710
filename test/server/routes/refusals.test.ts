import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * Every refused request gets a JSON error naming the problem and leaves the database as it
 * was: no version bump, no audit row, nothing streamed.
 */
let s: Stack
let serverKey: string
let clientKey: string
let devAdminKey: string
beforeEach(async () => {
  s = await makeStack()
  await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
  const mk = async (kind: string, environment: string | null) =>
    (await s.call('POST', '/api/v1/keys', { body: { name: `${kind}-${environment}`, kind, environment } })).json.secret
  serverKey = await mk('server', 'production')
  clientKey = await mk('client', 'production')
  devAdminKey = await mk('admin', 'development')
})
afterEach(() => s.close())

const patchProd = (body: unknown) => s.call('PATCH', '/api/v1/environments/production/flags/f1', { body })
const cohortWith = (condition: unknown, rollout = 10) => ({ cohorts: [{ name: 'c', conditions: [condition], rollout }] })
const region = { attribute: 'region', operator: 'in', values: ['eu-west'] }

async function expectRefused(
  request: () => Promise<{ status: number; json: { error: { message: string } } }>,
  status: number,
  message: RegExp,
) {
  const before = (await s.fingerprint())
  const res = await request()
  expect(res.status).toBe(status)
  expect(res.json.error.message).toMatch(message)
  expect((await s.fingerprint())).toEqual(before)
}

describe('refused input', () => {
  it.each([
    ['with spaces', 'checkout v2'],
    ['of 200 characters', 'a'.repeat(200)],
    ['with a slash', 'team/checkout'],
    ['that is a dot segment', '..'],
    ['with an invisible character', 'check\u200bout'],
  ])('refuses a flag key %s', async (_name, key) => {
    await expectRefused(() => s.call('POST', '/api/v1/flags', { body: { key } }), 400, /^key: use 1 to 128 characters without spaces, control characters/)
  })

  it('refuses an unknown operator, naming it and the field', async () => {
    await expectRefused(
      () => patchProd(cohortWith({ attribute: 'region', operator: 'sounds_like', values: ['x'] })),
      400,
      /cohorts\.0\.conditions\.0.*unknown operator "sounds_like"/,
    )
  })

  it.each([-1, 100.5, 2.0001])('refuses a rollout of %s', async (rollout) => {
    await expectRefused(() => patchProd(cohortWith(region, rollout)), 400, /cohorts\.0\.rollout/)
    await s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: cohortWith(region, 1) })
    await expectRefused(
      () => s.call('PUT', '/api/v1/environments/production/flags/f1/cohorts/c/rollout', { body: { rollout } }),
      400,
      /^rollout: /,
    )
  })

  it('accepts a rollout with three decimals', async () => {
    expect((await patchProd(cohortWith(region, 12.345))).status).toBe(200)
  })

  it('refuses a condition with no values', async () => {
    await expectRefused(
      () => patchProd(cohortWith({ attribute: 'region', operator: 'in', values: [] })),
      400,
      /cohorts\.0\.conditions\.0\.values: in: needs at least one value/,
    )
  })

  it.each([
    ['a numeric operator with a string', { attribute: 'age', operator: 'gt', values: ['old'] }, /values: gt: value "old" is not a finite number/],
    ['a semver operator with a non-version', { attribute: 'v', operator: 'semver_lt', values: ['banana'] }, /not a valid semantic version/],
    ['a date operator with a non-date', { attribute: 'd', operator: 'before', values: ['2024-02-30'] }, /not an ISO-8601 timestamp/],
    ['an invalid regular expression', { attribute: 'e', operator: 'matches', values: ['(unclosed'] }, /not a valid RE2 regular expression/],
  ])('refuses %s', async (_name, condition, message) => {
    await expectRefused(() => patchProd(cohortWith(condition)), 400, message)
  })

  it('refuses a cohort referencing an unknown segment', async () => {
    await expectRefused(() => patchProd(cohortWith({ segment: 'ghosts' })), 400, /unknown segment ghosts/)
  })

  it('refuses duplicate cohort names', async () => {
    const c = { name: 'same', conditions: [], rollout: 1 }
    await expectRefused(() => patchProd({ cohorts: [c, c] }), 400, /cohorts\.1\.name: duplicate cohort name same/)
  })

  it('refuses unknown fields instead of ignoring them', async () => {
    await expectRefused(() => patchProd({ enabeld: true }), 400, /enabeld/)
  })

  it('refuses a body over 1 MiB with 413', async () => {
    const huge = JSON.stringify({ key: 'big', description: 'x'.repeat(1024 * 1024 + 10) })
    await expectRefused(() => s.call('POST', '/api/v1/flags', { raw: huge }), 413, /larger than/)
  })

  it('refuses invalid JSON with 400', async () => {
    await expectRefused(() => s.call('POST', '/api/v1/flags', { raw: '{"key": ' }), 400, /invalid JSON/)
  })

  it('refuses a missing key and a wrong key with 401', async () => {
    await expectRefused(() => s.call('POST', '/api/v1/flags', { body: { key: 'x' }, key: null }), 401, /missing API key/)
    await expectRefused(() => s.call('POST', '/api/v1/flags', { body: { key: 'x' }, key: 'cf_admin_wrong' }), 401, /invalid/)
  })

  it('refuses server and client keys on the admin API with 403', async () => {
    await expectRefused(
      () => s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: { enabled: true }, key: serverKey }),
      403,
      /server key cannot/,
    )
    await expectRefused(() => s.call('GET', '/api/v1/flags', { key: clientKey }), 403, /client key cannot/)
  })

  it('refuses a key of one environment used on another with 403', async () => {
    await expectRefused(
      () => s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: { enabled: true }, key: devAdminKey }),
      403,
      /belongs to environment development, not production/,
    )
    await expectRefused(
      () => s.call('POST', '/api/v1/environments/development/evaluate', { body: { flag: 'f1', user: {} }, key: serverKey }),
      403,
      /belongs to environment production/,
    )
    // The same key works on its own environment.
    const own = await s.call('PATCH', '/api/v1/environments/development/flags/f1', { body: { enabled: true }, key: devAdminKey })
    expect(own.status).toBe(200)
  })

  it('lets an environment admin key read shared definitions but not change them', async () => {
    expect((await s.call('GET', '/api/v1/flags', { key: devAdminKey })).status).toBe(200)
    expect((await s.call('GET', '/api/v1/environments', { key: devAdminKey })).status).toBe(200)
    await expectRefused(() => s.call('POST', '/api/v1/flags', { body: { key: 'x' }, key: devAdminKey }), 403, /needs a global admin key/)
    await expectRefused(() => s.call('DELETE', '/api/v1/flags/f1', { key: devAdminKey }), 403, /needs a global admin key/)
  })

  it('refuses a revoked key with 401', async () => {
    const keys = await s.call('GET', '/api/v1/keys')
    const id = keys.json.items.find((k: { name: string }) => k.name === 'server-production').id
    await s.call('DELETE', `/api/v1/keys/${id}`)
    await expectRefused(
      () => s.call('POST', '/api/v1/environments/production/evaluate', { body: { flag: 'f1', user: {} }, key: serverKey }),
      401,
      /revoked/,
    )
  })

  it('refuses a stale version with 409', async () => {
    const { json } = await s.call('GET', '/api/v1/environments/production/flags/f1')
    await patchProd({ enabled: true })
    await expectRefused(() => patchProd({ enabled: false, version: json.version }), 409, /changed since version/)
  })

  it('answers unknown flags, environments and cohorts with 404', async () => {
    await expectRefused(() => s.call('PATCH', '/api/v1/environments/production/flags/nope', { body: { enabled: true } }), 404, /flag nope/)
    await expectRefused(() => s.call('PATCH', '/api/v1/environments/moon/flags/f1', { body: { enabled: true } }), 404, /environment moon/)
    await expectRefused(
      () => s.call('PUT', '/api/v1/environments/production/flags/f1/cohorts/nope/rollout', { body: { rollout: 5 } }),
      404,
      /cohort nope/,
    )
  })
})

describe('API keys', () => {
  it('shows a secret once and lists keys without secrets or hashes', async () => {
    const created = await s.call('POST', '/api/v1/keys', { body: { name: 'checkout-svc', kind: 'server', environment: 'production' } })
    expect(created.status).toBe(201)
    expect(created.json.secret).toMatch(/^cf_server_[A-Za-z0-9_-]{43}$/)
    const list = await s.call('GET', '/api/v1/keys')
    const text = JSON.stringify(list.json)
    expect(text).not.toContain(created.json.secret)
    expect(text).not.toContain('hash')
    expect(list.json.items.find((k: { id: string }) => k.id === created.json.id)).toMatchObject({ kind: 'server', environment: 'production', revokedAt: null })
  })

  it('refuses a server key without an environment', async () => {
    await expectRefused(() => s.call('POST', '/api/v1/keys', { body: { name: 'x', kind: 'server' } }), 400, /environment: a server key needs/)
  })
})

describe('stream probe for browsers', () => {
  it('answers a plain GET of the stream with 426 for a good SDK key and 401 for a bad one, with CORS', async () => {
    const good = await s.call('GET', '/api/v1/stream', { key: clientKey, headers: { origin: 'https://shop.example' } })
    expect(good.status).toBe(426)
    expect(good.headers.get('access-control-allow-origin')).toBe('*')
    // A browser can read why it was refused: the 401 carries CORS too; admin routes never do.
    const refused = await s.call('GET', '/api/v1/stream', { key: 'cf_client_wrong', headers: { origin: 'https://shop.example' } })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('access-control-allow-origin')).toBe('*')
    const admin = await s.call('GET', '/api/v1/flags', { headers: { origin: 'https://shop.example' } })
    expect(admin.status).toBe(200)
    expect(admin.headers.get('access-control-allow-origin')).toBeNull()
    const preflight = await s.app.request('/api/v1/metrics', {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization')
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST')
    expect(preflight.headers.get('access-control-max-age')).toBe('600')
  })
})
