import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { eventually } from '../../helpers/eventually.ts'

/**
 * The approval flow over real HTTP on PostgreSQL (the replicas' store): a held write, the
 * author refused, a second identity applying it, a stale request refused with nothing changed,
 * and a scheduled request applied once by the leader's tick on an injected clock.
 */

const ENV = 'production'
const STATE = `/api/v1/environments/${ENV}/flags/pg-checkout`
const COHORTS = [{ name: 'all', conditions: [], rollout: 10 }]

let database: TestDatabase
let server: TestServer
let reviewer: string
let clock = Date.UTC(2026, 0, 5, 9, 0, 0)

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'))
  server = await startTestServer({ now: () => clock, tickMs: 20 }, { databaseUrl: database.url })
  reviewer = (await server.api('POST', '/api/v1/keys', { name: 'reviewer', kind: 'admin' })).json.secret
  expect((await server.api('POST', '/api/v1/flags', { key: 'pg-checkout' })).status).toBe(201)
  expect((await server.api('PUT', `/api/v1/environments/${ENV}/protection`, { approvals: 1 })).status).toBe(200)
}, 60_000)
afterAll(async () => {
  await server?.close()
  await database?.drop()
})

describe('approvals on PostgreSQL', () => {
  it('holds a write, refuses its author, applies it on a second approval, and refuses a stale one', async () => {
    const held = await server.api('PATCH', STATE, { enabled: true, cohorts: COHORTS })
    expect(held.status).toBe(202)
    const id = held.json.request.id
    expect((await server.api('POST', `/api/v1/change-requests/${id}/approve`, {})).status).toBe(403)
    const approved = await server.api('POST', `/api/v1/change-requests/${id}/approve`, {}, reviewer)
    expect(approved.json).toMatchObject({ status: 'applied', approvals: [{ actor: 'admin-key:reviewer' }] })
    expect((await server.api('GET', STATE)).json).toMatchObject({ enabled: true, cohorts: COHORTS })

    const stale = (await server.api('PATCH', STATE, { cohorts: [] })).json.request
    const off = await server.api('PATCH', STATE, { enabled: false })
    expect(off.status).toBe(200)
    const refused = await server.api('POST', `/api/v1/change-requests/${stale.id}/approve`, {}, reviewer)
    expect(refused.status).toBe(409)
    expect(refused.json.error.message).toContain('changed since the request was made')
    expect((await server.api('GET', STATE)).json).toMatchObject({ version: off.json.version, cohorts: COHORTS })
  })

  it('applies a scheduled request once when the clock reaches it', async () => {
    const id = (await server.api('PATCH', STATE, { cohorts: [{ name: 'all', conditions: [], rollout: 20 }] })).json.request.id
    const applyAt = clock + 60_000
    await server.api('POST', `/api/v1/change-requests/${id}/apply`, { applyAt })
    expect((await server.api('POST', `/api/v1/change-requests/${id}/approve`, {}, reviewer)).json.status).toBe('approved')
    clock = applyAt
    await eventually(async () => (await server.api('GET', `/api/v1/change-requests/${id}`)).json.status, (status) => status === 'applied', 'the scheduled request applied')
    expect((await server.api('GET', STATE)).json.cohorts[0].rollout).toBe(20)
    const applied = (await server.api('GET', '/api/v1/audit?flag=pg-checkout&limit=50')).json.items.filter(
      (e: { details?: { approval?: { request: number } } }) => e.details?.approval?.request === id,
    )
    expect(applied).toHaveLength(1)
  })

  it("refuses the writes that are not one flag's state while they would change an answer (segment rules, clientSide, archive), changing nothing", async () => {
    const flag = `/api/v1/environments/${ENV}/flags/pg-exposed`
    expect((await server.api('POST', '/api/v1/flags', { key: 'pg-exposed' })).status).toBe(201)
    expect((await server.api('POST', `/api/v1/environments/${ENV}/segments`, { key: 'pg-staff', userIds: ['ann'] })).status).toBe(201)
    // On in protected production through an approved request, with a cohort on the segment.
    const on = await server.api('PATCH', flag, { enabled: true, cohorts: [{ name: 'staff', conditions: [{ segment: 'pg-staff' }], rollout: 100 }] })
    expect(on.status).toBe(202)
    expect((await server.api('POST', `/api/v1/change-requests/${on.json.request.id}/approve`, {}, reviewer)).json.status).toBe('applied')
    expect((await server.api('PATCH', '/api/v1/flags/pg-exposed', { clientSide: true })).status).toBe(409)
    expect((await server.api('DELETE', '/api/v1/flags/pg-exposed')).status).toBe(409)
    const widen = await server.api('PUT', `/api/v1/environments/${ENV}/segments/pg-staff`, { key: 'pg-staff', userIds: ['ann', 'bo'] })
    expect(widen.status).toBe(409)
    expect(widen.json.error.details).toEqual({ flags: ['pg-exposed'] })
    expect((await server.api('GET', `/api/v1/environments/${ENV}/segments/pg-staff`)).json.userIds).toEqual(['ann'])
    expect((await server.api('GET', '/api/v1/flags/pg-exposed')).json.clientSide).toBe(false)
    expect((await server.api('GET', flag)).json.enabled).toBe(true)
  })
})
