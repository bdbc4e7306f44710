import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { etagOf, matchesIfNoneMatch } from '../../server/ofrep/evaluate-routes.ts'
import { genericReason } from '../../sdk/core/generic-reason.ts'
import { specCases } from '../helpers/spec-cases.ts'
import { ADMIN_KEY, makeStack, type Stack } from '../helpers/stack.ts'

/**
 * The OFREP endpoints in process (`app.request`): shapes, reasons, status codes and error codes
 * of OFREP 0.3.0, key scopes, ETag/304, CORS, and the OpenAPI document.
 */
const ENV = '/api/v1/environments/production'

describe('OFREP endpoints', () => {
  let s: Stack
  let serverKey: string
  let clientKey: string
  const createKey = async (kind: 'server' | 'client') =>
    (await s.call('POST', '/api/v1/keys', { body: { name: `ofrep-${kind}`, kind, environment: 'production' } })).json.secret as string
  const single = (key: string, flag: string, context: unknown, headers: Record<string, string> = {}) =>
    s.call('POST', `/ofrep/v1/evaluate/flags/${flag}`, { key, body: { context }, headers })
  const bulk = (key: string, context: unknown, headers: Record<string, string> = {}) =>
    s.call('POST', '/ofrep/v1/evaluate/flags', { key, body: { context }, headers })

  beforeAll(async () => {
    s = await makeStack()
    serverKey = await createKey('server')
    clientKey = await createKey('client')
    for (const key of ['beta-flag', 'split-flag', 'off-flag', 'hidden-flag'])
      await s.call('POST', '/api/v1/flags', { body: { key, clientSide: key !== 'hidden-flag' } })
    await s.call('PATCH', `${ENV}/flags/beta-flag`, {
      body: { enabled: true, cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice'] }], rollout: 100 }] },
    })
    await s.call('PATCH', `${ENV}/flags/split-flag`, { body: { enabled: true, cohorts: [{ name: 'half', conditions: [], rollout: 50 }] } })
    await s.call('PATCH', `${ENV}/flags/hidden-flag`, { body: { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 100 }] } })
  })
  afterAll(() => s.close())

  it('answers a full cohort with TARGETING_MATCH, variant on, and the detailed reason for server keys', async () => {
    const res = await single(serverKey, 'beta-flag', { targetingKey: 'alice' })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ key: 'beta-flag', value: true, reason: 'TARGETING_MATCH', variant: 'on', metadata: { canaryReason: 'cohort:beta' }, cacheable: false })
  })

  it('answers no match with DEFAULT and off with DISABLED, variant off', async () => {
    expect((await single(serverKey, 'beta-flag', { targetingKey: 'bob' })).json).toMatchObject({ value: false, reason: 'DEFAULT', variant: 'off' })
    expect((await single(serverKey, 'off-flag', { targetingKey: 'bob' })).json).toMatchObject({ value: false, reason: 'DISABLED', variant: 'off' })
  })

  it('answers users inside a partial rollout with SPLIT and outside it with DEFAULT', async () => {
    const reasons = new Set<string>()
    for (let i = 0; i < 40; i++) {
      const { json } = await single(serverKey, 'split-flag', { targetingKey: `user-${i}` })
      reasons.add(`${json.value}:${json.reason}`)
    }
    expect([...reasons].sort()).toEqual(['false:DEFAULT', 'true:SPLIT'])
  })

  it('refuses a partial rollout without a targeting key with TARGETING_KEY_MISSING (400)', async () => {
    const res = await single(serverKey, 'split-flag', { region: 'eu' })
    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({ key: 'split-flag', errorCode: 'TARGETING_KEY_MISSING' })
  })

  it('answers an unknown flag with 404 FLAG_NOT_FOUND, and a hidden flag the same way for a client key', async () => {
    const unknown = await single(clientKey, 'no-such-flag', { targetingKey: 'alice' })
    const hidden = await single(clientKey, 'hidden-flag', { targetingKey: 'alice' })
    expect(unknown.status).toBe(404)
    expect(hidden.status).toBe(404)
    expect({ ...hidden.json, key: 'x', errorDetails: '' }).toEqual({ ...unknown.json, key: 'x', errorDetails: '' })
    expect((await single(serverKey, 'hidden-flag', { targetingKey: 'alice' })).json.value).toBe(true)
  })

  it('gives client keys generic reasons only, no metadata', async () => {
    const res = await single(clientKey, 'beta-flag', { targetingKey: 'alice' })
    expect(res.json).toEqual({ key: 'beta-flag', value: true, reason: 'TARGETING_MATCH', variant: 'on', cacheable: false })
  })

  it('refuses a malformed context with INVALID_CONTEXT and bad JSON with PARSE_ERROR', async () => {
    expect((await single(serverKey, 'beta-flag', ['x'])).json).toMatchObject({ key: 'beta-flag', errorCode: 'INVALID_CONTEXT' })
    const raw = await s.call('POST', '/ofrep/v1/evaluate/flags', { key: serverKey, raw: '{nope' })
    expect(raw.status).toBe(400)
    expect(raw.json.errorCode).toBe('PARSE_ERROR')
  })

  it('refuses a missing or wrong key with 401 and an admin key with 403', async () => {
    expect((await single('cf_server_wrong', 'beta-flag', {})).status).toBe(401)
    expect((await s.call('POST', '/ofrep/v1/evaluate/flags', { key: null, body: {} })).status).toBe(401)
    expect((await single(ADMIN_KEY, 'beta-flag', {})).status).toBe(403)
  })

  it('accepts the key in X-API-Key', async () => {
    const res = await s.call('POST', '/ofrep/v1/evaluate/flags/beta-flag', { key: null, headers: { 'x-api-key': serverKey }, body: {} })
    expect(res.status).toBe(200)
  })

  it('bulk-evaluates what the key may see, with an ETag over the evaluated flags and an event stream', async () => {
    const res = await bulk(clientKey, { targetingKey: 'alice' })
    expect(res.status).toBe(200)
    expect(res.json.flags.map((f: { key: string }) => f.key)).toEqual(['beta-flag', 'off-flag', 'split-flag'])
    expect(res.headers.get('etag')).toBe(etagOf(JSON.stringify(res.json.flags)))
    expect(res.json.eventStreams).toEqual([
      { type: 'sse', url: expect.stringMatching(/\/ofrep\/v1\/events\?token=/), endpoint: { requestUri: expect.stringMatching(/^\/ofrep\/v1\/events\?token=/) }, inactivityDelaySec: 120 },
    ])
    const all = await bulk(serverKey, { targetingKey: 'alice' })
    expect(all.json.flags.map((f: { key: string }) => f.key)).toContain('hidden-flag')
  })

  it('answers 304 to If-None-Match with the current ETag, 200 once the answer changed', async () => {
    const first = await bulk(serverKey, { targetingKey: 'alice' })
    const etag = first.headers.get('etag')!
    const same = await bulk(serverKey, { targetingKey: 'alice' }, { 'if-none-match': etag })
    expect(same.status).toBe(304)
    expect(same.headers.get('etag')).toBe(etag)
    // Another user's answers differ: another tag.
    expect((await bulk(serverKey, { targetingKey: 'bob' }, { 'if-none-match': etag })).status).toBe(200)
    await s.call('PATCH', `${ENV}/flags/off-flag`, { body: { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 100 }] } })
    const changed = await bulk(serverKey, { targetingKey: 'alice' }, { 'if-none-match': etag })
    expect(changed.status).toBe(200)
    expect(changed.headers.get('etag')).not.toBe(etag)
    await s.call('PATCH', `${ENV}/flags/off-flag`, { body: { enabled: false } })
  })

  it('reads If-None-Match lists, weak tags and *', () => {
    expect(matchesIfNoneMatch('"a", W/"b"', '"b"')).toBe(true)
    expect(matchesIfNoneMatch('*', '"x"')).toBe(true)
    expect(matchesIfNoneMatch('"a"', '"b"')).toBe(false)
    expect(matchesIfNoneMatch(undefined, '"b"')).toBe(false)
  })

  it('lets browsers on other origins call it and read the ETag', async () => {
    const preflight = await s.app.request('/ofrep/v1/evaluate/flags', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization,if-none-match' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('if-none-match')
    const res = await s.call('POST', '/ofrep/v1/evaluate/flags', { key: clientKey, body: {}, headers: { origin: 'https://app.example' } })
    expect(res.headers.get('access-control-expose-headers')).toBe('ETag')
  })

  it('refuses an event stream without a valid token', async () => {
    expect((await s.call('GET', '/ofrep/v1/events?token=abc.def', { key: null })).status).toBe(401)
    expect((await s.call('GET', '/ofrep/v1/events', { key: null })).status).toBe(401)
  })

  it('documents every OFREP route it serves', async () => {
    const doc = (await s.call('GET', '/api/v1/openapi.json', { key: null })).json
    // A route with its own middleware (the SDK routes' body limit) is listed once per handler.
    const served = [
      ...new Set(
        s.app.routes
          .filter((r) => r.method !== 'ALL' && r.path.startsWith('/ofrep/'))
          .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
      ),
    ]
    expect(served.length).toBe(3)
    for (const route of served) {
      const [method, path] = route.split(' ') as [string, string]
      expect(doc.paths[path]?.[method], route).toBeDefined()
    }
  })
})

describe('the shared spec cases through OFREP equal isEnabled', () => {
  let s: Stack
  let serverKey: string
  const env = '/api/v1/environments/production'
  beforeAll(async () => {
    s = await makeStack()
    serverKey = (await s.call('POST', '/api/v1/keys', { body: { name: 'spec', kind: 'server', environment: 'production' } })).json.secret
    await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
  })
  afterAll(() => s.close())

  // Rules the API accepts (see test/contract/evaluation.test.ts): no unknown segments.
  const storable = specCases.filter((c) =>
    c.flag.cohorts.every((k) => k.conditions.every((cond) => !('segment' in cond) || (c.segments ?? []).some((g) => g.key === cond.segment))),
  )

  it.each(storable.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await s.call('PATCH', `${env}/flags/checkout-v2`, { body: { cohorts: [] } })
    for (const existing of await s.store.segments.list('production')) await s.call('DELETE', `${env}/segments/${existing.key}`)
    for (const { version: _v, ...segment } of c.segments ?? []) await s.call('POST', `${env}/segments`, { body: segment })
    const { enabled, stickiness, cohorts } = c.flag
    expect((await s.call('PATCH', `${env}/flags/checkout-v2`, { body: { enabled, stickiness, cohorts } })).status).toBe(200)
    const res = await s.call('POST', '/ofrep/v1/evaluate/flags/checkout-v2', { key: serverKey, body: { context: c.user } })
    // With the default false, OpenFeature's value is the answer's (errors leave the default).
    const value = res.status === 200 ? res.json.value : false
    expect(value).toBe(c.expected.enabled)
    if (res.status === 200) {
      const split = c.flag.cohorts.some((k) => `cohort:${k.name}` === c.expected.reason && k.rollout < 100)
      expect(res.json.reason).toBe(genericReason(c.expected.reason, { split }))
      expect(res.json.metadata.canaryReason).toBe(c.expected.reason)
    } else {
      expect(res.status).toBe(400)
      expect(['PARSE_ERROR', 'TARGETING_KEY_MISSING']).toContain(res.json.errorCode)
    }
  })
})
