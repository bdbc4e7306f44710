import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../../helpers/stack.ts'

let s: Stack
beforeEach(async () => {
  s = await makeStack()
})
afterEach(() => s.close())

const betaCohort = { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice', 'bob'] }], rollout: 100 }
const euCohort = (rollout: number) => ({
  name: 'eu',
  conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }],
  rollout,
})

describe('flags API', () => {
  it('answers /health with ok', async () => {
    const res = await s.call('GET', '/health', { key: null })
    expect(res).toMatchObject({ status: 200, json: { status: 'ok' } })
  })

  it('creates a flag that is off with no cohorts in every environment and streams it', async () => {
    const res = await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2', description: 'new checkout' } })
    expect(res.status).toBe(201)
    expect(res.json.states.map((st: { environment: string }) => st.environment).sort()).toEqual(['development', 'production'])
    for (const st of res.json.states) expect(st).toMatchObject({ enabled: false, cohorts: [], salt: 'checkout-v2', stickiness: 'userId' })
    expect(s.published.map((p) => [p.env, p.change.type])).toEqual([
      ['development', 'flag'],
      ['production', 'flag'],
    ])
  })

  it('refuses a second flag with the same key with 409', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'dup' } })
    const res = await s.call('POST', '/api/v1/flags', { body: { key: 'dup' } })
    expect(res.status).toBe(409)
    expect(res.json.error.message).toContain('dup')
  })

  it('walks the quick start: beta users, a 10% region cohort widened to 25%, evaluate', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
    const created = await s.call('PATCH', '/api/v1/environments/production/flags/checkout-v2', {
      body: { enabled: true, cohorts: [betaCohort, euCohort(10)] },
    })
    expect(created.status).toBe(200)
    const widened = await s.call('PUT', '/api/v1/environments/production/flags/checkout-v2/cohorts/eu/rollout', {
      body: { rollout: 25, version: created.json.version },
    })
    expect(widened.status).toBe(200)
    expect(widened.json.cohorts[1].rollout).toBe(25)
    expect(widened.json.salt).toBe('checkout-v2')
    expect(widened.headers.get('etag')).toBe(`"${widened.json.version}"`)

    const evalFor = (user: object) =>
      s.call('POST', '/api/v1/environments/production/evaluate', { body: { flag: 'checkout-v2', user } })
    expect((await evalFor({ userId: 'alice' })).json).toMatchObject({ enabled: true, reason: 'cohort:beta' })
    expect((await evalFor({ userId: 'zed', region: 'us-east' })).json).toMatchObject({ enabled: false, reason: 'no_match' })
    expect((await evalFor({ region: 'eu-west' })).json).toMatchObject({ enabled: false, reason: 'missing_stickiness' })
    expect((await evalFor({ userId: 'x' })).json.reason).toBe('no_match')
    expect((await s.call('POST', '/api/v1/environments/production/evaluate', { body: { flag: 'nope', user: {} } })).json)
      .toMatchObject({ enabled: false, reason: 'unknown_flag' })

    // About a quarter of EU users are in, the rest are the control group.
    let inside = 0
    for (let i = 0; i < 200; i++) {
      const r = (await evalFor({ userId: `user-${i}`, region: 'eu-west' })).json
      expect(['cohort:eu', 'outside_rollout']).toContain(r.reason)
      if (r.enabled) inside++
    }
    expect(inside).toBeGreaterThan(25)
    expect(inside).toBeLessThan(75)
  }, 30_000)

  it('keeps development untouched when production changes', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
    await s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: { enabled: true } })
    const dev = await s.call('GET', '/api/v1/environments/development/flags/f1')
    expect(dev.json.enabled).toBe(false)
  })

  it('lists flags with a per-environment summary', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'b-flag', tags: ['checkout'] } })
    await s.call('POST', '/api/v1/flags', { body: { key: 'a-flag' } })
    await s.call('PATCH', '/api/v1/environments/production/flags/b-flag', { body: { enabled: true, cohorts: [euCohort(5)] } })
    const res = await s.call('GET', '/api/v1/flags')
    expect(res.json.items.map((f: { key: string }) => f.key)).toEqual(['a-flag', 'b-flag'])
    expect(res.json.items[1]).toMatchObject({
      tags: ['checkout'],
      environments: { production: { enabled: true, widestRollout: 5, cohorts: 1 }, development: { enabled: false } },
    })
  })

  it('updates description and tags with an audit entry', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
    const res = await s.call('PATCH', '/api/v1/flags/f1', { body: { description: 'why', tags: ['a'] } })
    expect(res.json).toMatchObject({ description: 'why', tags: ['a'] })
    const audit = await s.call('GET', '/api/v1/audit?flag=f1&limit=1')
    expect(audit.json.items[0]).toMatchObject({ action: 'flag.update', before: { description: '' }, after: { description: 'why' } })
  })

  it('archives a flag: gone from lists and snapshots, deletion streamed, key reusable from scratch', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'old' } })
    await s.call('PATCH', '/api/v1/environments/production/flags/old', { body: { enabled: true } })
    expect((await s.call('DELETE', '/api/v1/flags/old')).status).toBe(204)
    expect((await s.call('GET', '/api/v1/flags/old')).status).toBe(404)
    expect((await s.store.snapshot('production')).flags).toEqual([])
    expect(s.published.at(-1)?.change).toMatchObject({ type: 'flag_deleted', key: 'old' })
    const again = await s.call('POST', '/api/v1/flags', { body: { key: 'old' } })
    expect(again.status).toBe(201)
    expect(again.json.states.every((st: { enabled: boolean }) => !st.enabled)).toBe(true)
  })

  it('sets the stickiness attribute', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
    const res = await s.call('PATCH', '/api/v1/environments/development/flags/f1', { body: { stickiness: 'accountId' } })
    expect(res.json.stickiness).toBe('accountId')
    const audit = await s.call('GET', '/api/v1/audit?flag=f1&env=development&limit=1')
    expect(audit.json.items[0].action).toBe('flag.stickiness')
  })
})

describe('optimistic concurrency', () => {
  it('refuses an update based on a stale version with 409 and the current state', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
    const first = await s.call('GET', '/api/v1/environments/production/flags/f1')
    const v = first.json.version
    const pmA = await s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: { enabled: true, version: v } })
    expect(pmA.status).toBe(200)
    const before = (await s.fingerprint())
    const pmB = await s.call('PATCH', '/api/v1/environments/production/flags/f1', {
      body: { cohorts: [euCohort(50)] },
      headers: { 'if-match': `"${v}"` },
    })
    expect(pmB.status).toBe(409)
    expect(pmB.json.error.message).toMatch(/changed since version/)
    expect(pmB.json.error.details.current).toMatchObject({ enabled: true, version: pmA.json.version })
    expect((await s.fingerprint())).toEqual(before)
  })

  it('refuses a stale rollout change', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
    const a = await s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: { cohorts: [euCohort(1)] } })
    await s.call('PUT', '/api/v1/environments/production/flags/f1/cohorts/eu/rollout', { body: { rollout: 5, version: a.json.version } })
    const stale = await s.call('PUT', '/api/v1/environments/production/flags/f1/cohorts/eu/rollout', {
      body: { rollout: 25, version: a.json.version },
    })
    expect(stale.status).toBe(409)
    expect((await s.call('GET', '/api/v1/environments/production/flags/f1')).json.cohorts[0].rollout).toBe(5)
  })
})

describe('versions, change log and audit', () => {
  it('gives every change the next environment version and one audit row with before and after', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
    const v0 = (await s.store.flags.getEnvironment('production')).version
    await s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: { enabled: true } })
    await s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: { enabled: false } })
    expect((await s.store.flags.getEnvironment('production')).version).toBe(v0 + 2)
    expect((await s.store.logs.changesSince('production', v0, v0 + 2))?.map((c) => [c.version, c.type])).toEqual([
      [v0 + 1, 'flag'],
      [v0 + 2, 'flag'],
    ])
    const audit = await s.call('GET', '/api/v1/audit?flag=f1&env=production')
    const [off, on] = audit.json.items
    expect(on).toMatchObject({ action: 'flag.on', actor: 'admin-key:bootstrap-admin', version: v0 + 1, before: { enabled: false }, after: { enabled: true } })
    expect(off).toMatchObject({ action: 'flag.off', version: v0 + 2 })
  })

  it('pages the audit log with a cursor', async () => {
    for (let i = 0; i < 5; i++) await s.call('POST', '/api/v1/flags', { body: { key: `f${i}` } })
    const page1 = await s.call('GET', '/api/v1/audit?limit=4')
    expect(page1.json.items).toHaveLength(4)
    const page2 = await s.call('GET', `/api/v1/audit?limit=4&before=${page1.json.nextBefore}`)
    expect(page2.json.items[0].id).toBeLessThan(page1.json.items[3].id)
    // The last page says so: nextBefore null, not a cursor to an empty page.
    const all = (await s.call('GET', '/api/v1/audit?limit=500')).json
    expect(all.nextBefore).toBeNull()
    const exact = await s.call('GET', `/api/v1/audit?limit=${all.items.length}`)
    expect(exact.json).toMatchObject({ nextBefore: null })
    expect(exact.json.items).toHaveLength(all.items.length)
    const lastTwo = await s.call('GET', `/api/v1/audit?limit=2&before=${all.items.at(-2).id + 1}`)
    expect(lastTwo.json.items).toHaveLength(2)
    expect(lastTwo.json.nextBefore).toBeNull()
  })
})

describe('segments API', () => {
  it('creates a segment, uses it in a cohort, and refuses to delete it while in use', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
    const seg = await s.call('POST', '/api/v1/environments/production/segments', {
      body: { key: 'internal-staff', userIds: ['alice'], conditions: [] },
    })
    expect(seg.status).toBe(201)
    await s.call('PATCH', '/api/v1/environments/production/flags/f1', {
      body: { enabled: true, cohorts: [{ name: 'staff', conditions: [{ segment: 'internal-staff' }], rollout: 100 }] },
    })
    const evalAlice = () =>
      s.call('POST', '/api/v1/environments/production/evaluate', { body: { flag: 'f1', user: { userId: 'alice' } } })
    expect((await evalAlice()).json.reason).toBe('cohort:staff')
    const del = await s.call('DELETE', '/api/v1/environments/production/segments/internal-staff')
    expect(del.status).toBe(409)
    expect(del.json.error.message).toContain('f1')

    const updated = await s.call('PUT', '/api/v1/environments/production/segments/internal-staff', {
      body: { key: 'internal-staff', userIds: ['bob'], version: seg.json.version },
    })
    expect(updated.status).toBe(200)
    expect(s.published.at(-1)?.change).toMatchObject({ type: 'segment', segment: { userIds: ['bob'] } })
    expect((await evalAlice()).json.enabled).toBe(false)

    await s.call('PATCH', '/api/v1/environments/production/flags/f1', { body: { cohorts: [] } })
    expect((await s.call('DELETE', '/api/v1/environments/production/segments/internal-staff')).status).toBe(204)
    expect((await s.call('GET', '/api/v1/environments/production/segments')).json.items).toEqual([])
  })
})

describe('environments API', () => {
  it('creates an environment in which every flag exists, off', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
    const res = await s.call('POST', '/api/v1/environments', { body: { key: 'staging' } })
    expect(res.status).toBe(201)
    const list = await s.call('GET', '/api/v1/environments')
    expect(list.json.items.map((e: { key: string }) => e.key)).toEqual(['development', 'production', 'staging'])
    expect((await s.call('GET', '/api/v1/environments/staging/flags/f1')).json.enabled).toBe(false)
  })

  it('serves an OpenAPI document naming every route', async () => {
    const res = await s.call('GET', '/api/v1/openapi.json', { key: null })
    expect(res.json.openapi).toBe('3.1.0')
    expect(Object.keys(res.json.paths)).toContain('/api/v1/environments/{env}/flags/{key}/cohorts/{cohort}/rollout')
    expect(res.json.paths['/api/v1/flags'].post.requestBody.content['application/json'].schema.properties.key).toBeDefined()
  })

  it('documents every route the app serves under /api/v1', async () => {
    const doc = (await s.call('GET', '/api/v1/openapi.json', { key: null })).json
    const documented = new Set(
      Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    )
    const served = s.app.routes
      .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/v1/') && r.path !== '/api/v1/openapi.json')
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`)
    expect(served.length).toBeGreaterThan(25)
    expect(served.filter((route) => !documented.has(route))).toEqual([])
  })

  it('documents the success response of every operation: a JSON schema, a stream, or no body', async () => {
    const doc = (await s.call('GET', '/api/v1/openapi.json', { key: null })).json
    const undocumented: string[] = []
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>))
      for (const [method, op] of Object.entries(ops)) {
        const [status, ok] = Object.entries(op.responses).find(([code]) => code !== 'default')!
        const described = status === '204' || status === '101' || status === '302' || ok.content?.['text/event-stream'] !== undefined || ok.content?.['application/json']?.schema !== undefined
        if (!described) undocumented.push(`${method} ${path}`)
      }
    expect(undocumented).toEqual([])
    const list = doc.paths['/api/v1/flags'].get.responses['200'].content['application/json'].schema
    expect(list.properties.items.items.properties.environments.additionalProperties.required).toContain('audience')
  })
})
