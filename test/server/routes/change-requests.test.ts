import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { startReceiver } from '../../helpers/receiver.ts'
import { eventually } from '../../helpers/eventually.ts'

/**
 * Approvals for protected environments, over real HTTP against a real server on a SQLite file:
 * writes held as change requests, reviewed by a second identity, applied only against the base
 * version, the kill switch never held, and every refusal changing nothing.
 */

const ENV = 'production'
const FLAG = 'checkout-v2'
const STATE = `/api/v1/environments/${ENV}/flags/${FLAG}`
const AUTHOR = 'admin-key:bootstrap-admin'
const COHORTS = [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['ann'] }], rollout: 100 }]

let clock = Date.UTC(2026, 0, 5, 9, 0, 0)
let server: TestServer
/** Admin keys of two reviewers other than the author (the bootstrap key). */
let ann: string
let bob: string

async function adminKey(name: string, environment: string | null = null): Promise<string> {
  const created = await server.api('POST', '/api/v1/keys', { name, kind: 'admin', environment })
  expect(created.status, JSON.stringify(created.json)).toBe(201)
  return created.json.secret
}

/** Everything a refused request must leave as it was: the state, the audit log, the requests. */
async function fingerprint() {
  const state = (await server.api('GET', STATE)).json
  const audit = (await server.api('GET', '/api/v1/audit?limit=1')).json.items[0]?.id
  const requests = (await server.api('GET', '/api/v1/change-requests?limit=500')).json.items
  return { version: state.version, enabled: state.enabled, cohorts: state.cohorts, audit, requests }
}

/** Waits for `check` to hold, polling, up to a deadline (never a fixed sleep). */
beforeAll(async () => {
  server = await startTestServer({ now: () => clock, tickMs: 20, webhook: { allow: ['127.0.0.1'], baseDelayMs: 10 } })
  ann = await adminKey('ann')
  bob = await adminKey('bob')
})
afterAll(() => server.close())

let flagCount = 0
let flag: string
let state: string
beforeEach(async () => {
  // A fresh flag per test, in an environment protected with one approval.
  flag = `${FLAG}-${++flagCount}`
  state = `/api/v1/environments/${ENV}/flags/${flag}`
  expect((await server.api('POST', '/api/v1/flags', { key: flag })).status).toBe(201)
  expect((await server.api('PUT', `/api/v1/environments/${ENV}/protection`, { approvals: 1 })).status).toBe(200)
})
afterEach(async () => {
  await server.api('DELETE', `/api/v1/environments/${ENV}/protection`)
})

/** Proposes cohorts (held: 202) and answers the request. */
async function propose(body: object = { cohorts: COHORTS }) {
  const res = await server.api('PATCH', state, body)
  expect(res.status, JSON.stringify(res.json)).toBe(202)
  return res.json.request
}

describe('protecting an environment', () => {
  it('needs a global admin key and a count from 1 to 10, and is audited', async () => {
    const bound = await adminKey('prod-admin', ENV)
    const before = await fingerprint()
    for (const [body, key, status, text] of [
      [{ approvals: 0 }, undefined, 400, 'approvals'],
      [{ approvals: 11 }, undefined, 400, 'approvals'],
      [{ approvals: 1.5 }, undefined, 400, 'approvals'],
      [{}, undefined, 400, 'approvals'],
      [{ approvals: 2 }, bound, 403, 'global admin key'],
    ] as const) {
      const res = await server.api('PUT', `/api/v1/environments/${ENV}/protection`, body, key)
      expect(res.status, JSON.stringify(res.json)).toBe(status)
      expect(res.json.error.message).toContain(text)
    }
    expect(await fingerprint()).toEqual(before)
    const set = await server.api('PUT', `/api/v1/environments/${ENV}/protection`, { approvals: 2 })
    expect(set.json).toMatchObject({ key: ENV, approvals: 2 })
    const listed = (await server.api('GET', '/api/v1/environments')).json.items
    expect(listed.find((e: { key: string }) => e.key === ENV).approvals).toBe(2)
    expect(listed.find((e: { key: string }) => e.key === 'development').approvals).toBe(0)
    const [entry] = (await server.api('GET', `/api/v1/audit?env=${ENV}&limit=1`)).json.items
    expect(entry).toMatchObject({ action: 'environment.protect', actor: AUTHOR, before: { approvals: 1 }, after: { approvals: 2 } })
    expect((await server.api('PUT', `/api/v1/environments/nowhere/protection`, { approvals: 1 })).status).toBe(404)
  })
})

describe('a write in a protected environment', () => {
  it('becomes a change request with its diff, and changes nothing until approved', async () => {
    const before = (await server.api('GET', state)).json
    const request = await propose()
    expect(request).toMatchObject({
      environment: ENV,
      flag,
      author: AUTHOR,
      change: { kind: 'state', cohorts: COHORTS },
      diff: [{ field: 'cohorts', before: [], after: COHORTS }],
      baseVersion: before.version,
      approvalsRequired: 1,
      status: 'open',
      approvals: [],
      comments: [],
      applyAt: null,
    })
    const after = (await server.api('GET', state)).json
    expect(after).toMatchObject({ version: before.version, cohorts: [] })
    const [created] = (await server.api('GET', `/api/v1/audit?flag=${flag}&limit=1`)).json.items
    expect(created).toMatchObject({ action: 'request.create', actor: AUTHOR, details: { request: request.id } })
    // Development is not protected: the same write applies at once.
    expect((await server.api('PATCH', `/api/v1/environments/development/flags/${flag}`, { cohorts: COHORTS })).status).toBe(200)
  })

  it('the author cannot approve their own request; another approver applies it, and the audit names both', async () => {
    const request = await propose()
    const before = await fingerprint()
    const own = await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {})
    expect(own.status).toBe(403)
    expect(own.json.error.message).toContain('author')
    expect(await fingerprint()).toEqual(before)

    const approved = await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, { comment: 'looks right' }, ann)
    expect(approved.status, JSON.stringify(approved.json)).toBe(200)
    expect(approved.json).toMatchObject({ status: 'applied', approvals: [{ actor: 'admin-key:ann' }], comments: [{ actor: 'admin-key:ann', text: 'looks right' }] })
    const now = (await server.api('GET', state)).json
    expect(now.cohorts).toEqual(COHORTS)
    expect(approved.json.appliedVersion).toBe(now.version)
    const entries = (await server.api('GET', `/api/v1/audit?flag=${flag}&limit=10`)).json.items
    expect(entries.map((e: { action: string }) => e.action).slice(0, 3)).toEqual(['flag.cohorts', 'request.approve', 'request.create'])
    expect(entries[0]).toMatchObject({ actor: AUTHOR, version: now.version, details: { approval: { request: request.id, author: AUTHOR, approvers: ['admin-key:ann'] } } })
  })

  it('holds rollout, guard and plan writes too, each with its diff', async () => {
    // Cohorts first (approved), then a rollout change, a guard and its removal.
    const first = await propose({ cohorts: [{ name: 'all', conditions: [], rollout: 1 }] })
    await server.api('POST', `/api/v1/change-requests/${first.id}/approve`, {}, ann)
    const rollout = await server.api('PUT', `${state}/cohorts/all/rollout`, { rollout: 5 })
    expect(rollout.status).toBe(202)
    expect(rollout.json.request.diff).toEqual([{ field: 'cohorts', before: [{ name: 'all', conditions: [], rollout: 1 }], after: [{ name: 'all', conditions: [], rollout: 5 }] }])
    const guard = await server.api('PUT', `${state}/guard`, { maxErrorRate: 0.05 })
    expect(guard.status).toBe(202)
    expect(guard.json.request.change).toEqual({ kind: 'guard', settings: { maxErrorRate: 0.05 } })
    // Held writes are checked as direct ones: an unknown cohort is 404 and holds nothing.
    const before = await fingerprint()
    expect((await server.api('PUT', `${state}/cohorts/nope/rollout`, { rollout: 5 })).status).toBe(404)
    expect(await fingerprint()).toEqual(before)
    // A plan needs a guard first, held or not.
    const plan = await server.api('PUT', `${state}/plan`, { cohort: 'all', steps: [5, 25], intervalSeconds: 60 })
    expect(plan.status).toBe(400)
    expect(plan.json.error.message).toContain('guard')
  })
})

describe('applying a request', () => {
  it('refuses a stale request (the flag changed since) with 409 and changes nothing', async () => {
    const on = await propose({ enabled: true })
    await server.api('POST', `/api/v1/change-requests/${on.id}/approve`, {}, ann)
    const request = await propose()
    // The kill switch acts at once, moving the flag past the request's base version.
    expect((await server.api('PATCH', state, { enabled: false })).status).toBe(200)
    const before = await fingerprint()
    const approve = await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {}, ann)
    expect(approve.status).toBe(409)
    expect(approve.json.error.message).toMatch(/stale: flag .* changed since the request was made/)
    const apply = await server.api('POST', `/api/v1/change-requests/${request.id}/apply`, {})
    expect(apply.status).toBe(409)
    expect(await fingerprint()).toEqual(before)
  })

  it('refuses to apply before the approvals, and refuses withdrawn or rejected requests', async () => {
    const request = await propose()
    const early = await server.api('POST', `/api/v1/change-requests/${request.id}/apply`, {})
    expect(early.status).toBe(409)
    expect(early.json.error.message).toContain('needs 1 approval more')
    // Only the author withdraws.
    expect((await server.api('POST', `/api/v1/change-requests/${request.id}/withdraw`, {}, ann)).status).toBe(403)
    const withdrawn = await server.api('POST', `/api/v1/change-requests/${request.id}/withdraw`, {})
    expect(withdrawn.json).toMatchObject({ status: 'withdrawn', decidedBy: AUTHOR })
    let before = await fingerprint()
    for (const action of ['approve', 'apply', 'reject', 'withdraw']) {
      const res = await server.api('POST', `/api/v1/change-requests/${request.id}/${action}`, {}, ann)
      expect(res.status, action).toBe(409)
      expect(res.json.error.message, action).toContain('is withdrawn')
    }
    expect(await fingerprint()).toEqual(before)

    const other = await propose()
    expect((await server.api('POST', `/api/v1/change-requests/${other.id}/reject`, {})).status).toBe(403)
    const rejected = await server.api('POST', `/api/v1/change-requests/${other.id}/reject`, { comment: 'not this week' }, bob)
    expect(rejected.json).toMatchObject({ status: 'rejected', decidedBy: 'admin-key:bob', comments: [{ text: 'not this week' }] })
    before = await fingerprint()
    expect((await server.api('POST', `/api/v1/change-requests/${other.id}/approve`, {}, ann)).status).toBe(409)
    expect((await server.api('POST', `/api/v1/change-requests/${other.id}/apply`, {}, ann)).status).toBe(409)
    expect(await fingerprint()).toEqual(before)
    const actions = (await server.api('GET', `/api/v1/audit?flag=${flag}&limit=10`)).json.items.map((e: { action: string }) => e.action)
    expect(actions).toEqual(expect.arrayContaining(['request.withdraw', 'request.reject']))
  })

  it('needs distinct approvers: approving twice is 409, and two approvals apply it', async () => {
    await server.api('PUT', `/api/v1/environments/${ENV}/protection`, { approvals: 2 })
    const request = await propose()
    expect(request.approvalsRequired).toBe(2)
    const first = await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {}, ann)
    expect(first.json).toMatchObject({ status: 'open', approvals: [{ actor: 'admin-key:ann' }] })
    const before = await fingerprint()
    const twice = await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {}, ann)
    expect(twice.status).toBe(409)
    expect(twice.json.error.message).toContain('already approved by admin-key:ann')
    expect(await fingerprint()).toEqual(before)
    const second = await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {}, bob)
    expect(second.json.status).toBe('applied')
    expect((await server.api('GET', state)).json.cohorts).toEqual(COHORTS)
  })

  it('answers unknown and malformed requests with a clear 4xx naming what is wrong', async () => {
    const before = await fingerprint()
    const unknown = await server.api('POST', '/api/v1/change-requests/999999/approve', {}, ann)
    expect(unknown.status).toBe(404)
    expect(unknown.json.error.message).toContain('change request #999999')
    const malformed = await server.api('GET', '/api/v1/change-requests/abc')
    expect(malformed.status).toBe(400)
    expect(malformed.json.error.message).toMatch(/^id: /)
    const badStatus = await server.api('GET', '/api/v1/change-requests?status=done')
    expect(badStatus.status).toBe(400)
    expect(badStatus.json.error.message).toContain('status')
    const request = await propose()
    const after = await fingerprint()
    const past = await server.api('POST', `/api/v1/change-requests/${request.id}/apply`, { applyAt: clock - 1000 })
    expect(past.status).toBe(400)
    expect(past.json.error.message).toContain('applyAt')
    const empty = await server.api('POST', `/api/v1/change-requests/${request.id}/comments`, { text: '' }, ann)
    expect(empty.status).toBe(400)
    expect(empty.json.error.message).toContain('text')
    expect(await fingerprint()).toEqual(after)
    expect(before.version).toBe(after.version)
  })

  it('lists requests with filters, and an environment key sees its own environment only', async () => {
    const request = await propose()
    const open = (await server.api('GET', `/api/v1/change-requests?status=open&env=${ENV}&flag=${flag}`)).json.items
    expect(open.map((r: { id: number }) => r.id)).toEqual([request.id])
    expect((await server.api('GET', `/api/v1/change-requests?status=applied&flag=${flag}`)).json.items).toEqual([])
    const devKey = await adminKey(`dev-admin-${flag}`, 'development')
    expect((await server.api('GET', '/api/v1/change-requests', undefined, devKey)).json.items.filter((r: { environment: string }) => r.environment === ENV)).toEqual([])
    expect((await server.api('GET', `/api/v1/change-requests/${request.id}`, undefined, devKey)).status).toBe(403)
    expect((await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {}, devKey)).status).toBe(403)
    // A key bound to production may approve there.
    const prodKey = await adminKey(`prod-approver-${flag}`, ENV)
    expect((await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {}, prodKey)).json.status).toBe('applied')
  })
})

describe('the kill switch in a protected environment', () => {
  it('acts at once, audited as an emergency change; off again is idempotent', async () => {
    const on = await propose({ enabled: true })
    await server.api('POST', `/api/v1/change-requests/${on.id}/approve`, {}, ann)
    const off = await server.api('PATCH', state, { enabled: false })
    expect(off.status).toBe(200)
    expect(off.json).toMatchObject({ enabled: false, changed: true })
    const [entry] = (await server.api('GET', `/api/v1/audit?flag=${flag}&limit=1`)).json.items
    expect(entry).toMatchObject({ action: 'flag.off', actor: AUTHOR })
    expect(entry.details.emergency).toContain('kill switch')
    const before = await fingerprint()
    const again = await server.api('PATCH', state, { enabled: false })
    expect(again.status).toBe(200)
    expect(again.json).toMatchObject({ enabled: false, changed: false, version: off.json.version })
    expect(await fingerprint()).toEqual(before)
    // Off together with other fields is not the kill switch: held.
    expect((await server.api('PATCH', state, { enabled: false, cohorts: COHORTS })).status).toBe(202)
  })
})

describe('a scheduled request', () => {
  it('is applied once when its time comes (the injected clock), and the webhook hears of each step', async () => {
    const receiver = await startReceiver()
    try {
      // The guard (with the webhook) is set before the environment is protected.
      await server.api('DELETE', `/api/v1/environments/${ENV}/protection`)
      expect((await server.api('PUT', `${state}/guard`, { maxErrorRate: 0.5, webhookUrl: receiver.url() })).status).toBe(200)
      await server.api('PUT', `/api/v1/environments/${ENV}/protection`, { approvals: 1 })
      const request = await propose()
      const applyAt = clock + 3_600_000
      const scheduled = await server.api('POST', `/api/v1/change-requests/${request.id}/apply`, { applyAt })
      expect(scheduled.json).toMatchObject({ status: 'open', applyAt })
      const approved = await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {}, ann)
      expect(approved.json.status).toBe('approved')
      expect((await server.api('GET', state)).json.cohorts).toEqual([])
      clock = applyAt
      const applied = await eventually(
        async () => (await server.api('GET', `/api/v1/change-requests/${request.id}`)).json,
        (r) => r.status === 'applied',
        'the scheduled application',
      )
      expect((await server.api('GET', state)).json.cohorts).toEqual(COHORTS)
      // Applied once: one state change names this request, however many ticks passed.
      const entries = (await server.api('GET', `/api/v1/audit?flag=${flag}&limit=50`)).json.items
      expect(entries.filter((e: { details?: { approval?: { request: number } } }) => e.details?.approval?.request === request.id)).toHaveLength(1)
      expect(applied.appliedVersion).toBe((await server.api('GET', state)).json.version)
      const events = await eventually(
        async () => receiver.received.map((r) => JSON.parse(r.body).type as string),
        (types) => types.includes('change_request.applied'),
        'the applied webhook',
      )
      expect(events).toEqual(expect.arrayContaining(['change_request.created', 'change_request.approved', 'change_request.applied']))
      const created = JSON.parse(receiver.received.find((r) => JSON.parse(r.body).type === 'change_request.created')!.body)
      expect(created).toMatchObject({ environment: ENV, flag, request: { id: request.id, author: AUTHOR } })
    } finally {
      await receiver.close()
    }
  })

  it('a stale scheduled request loses its schedule with a comment saying why, and changes nothing', async () => {
    const on = await propose({ enabled: true })
    await server.api('POST', `/api/v1/change-requests/${on.id}/approve`, {}, ann)
    const request = await propose()
    const applyAt = clock + 60_000
    await server.api('POST', `/api/v1/change-requests/${request.id}/apply`, { applyAt })
    await server.api('POST', `/api/v1/change-requests/${request.id}/approve`, {}, ann)
    const off = await server.api('PATCH', state, { enabled: false })
    expect(off.status).toBe(200)
    clock = applyAt
    const dropped = await eventually(
      async () => (await server.api('GET', `/api/v1/change-requests/${request.id}`)).json,
      (r) => r.applyAt === null,
      'the refused schedule',
    )
    expect(dropped.status).toBe('approved')
    expect(dropped.comments.at(-1).text).toContain('scheduled application refused')
    expect(dropped.comments.at(-1).text).toContain('stale')
    const now = (await server.api('GET', state)).json
    expect(now).toMatchObject({ version: off.json.version, cohorts: [], enabled: false })
  })
})
