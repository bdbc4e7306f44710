import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { call, type ServerProcess } from '../cli/server-process.ts'
import { startReplicas, type Replicas } from '../helpers/replicas.ts'
import { eventually } from '../helpers/eventually.ts'

/**
 * Approvals across replicas (real `canary serve` processes on one PostgreSQL): a request made on
 * one replica is approved on another and applied once; a scheduled one is applied once, by the
 * leader's tick, whichever replica it was scheduled on.
 */

const ENV = 'production'
const FLAG = 'replica-approvals'
const STATE = `/api/v1/environments/${ENV}/flags/${FLAG}`
let cluster: Replicas
let a: ServerProcess
let b: ServerProcess
let reviewer: string

beforeAll(async () => {
  cluster = await startReplicas(inject('postgresUrl'), 2)
  ;[a, b] = cluster.replicas as [ServerProcess, ServerProcess]
  expect((await cluster.api(a, 'POST', '/api/v1/flags', { key: FLAG })).status).toBe(201)
  expect((await cluster.api(a, 'PUT', `/api/v1/environments/${ENV}/protection`, { approvals: 1 })).status).toBe(200)
  reviewer = (await cluster.api(a, 'POST', '/api/v1/keys', { name: 'reviewer', kind: 'admin' })).json.secret
}, 120_000)
afterAll(() => cluster?.close())

/** The audit entries of state changes that applied `request`. */
const appliedEntries = async (request: number) =>
  (await cluster.api(b, 'GET', `/api/v1/audit?flag=${FLAG}&limit=200`)).json.items.filter(
    (e: { details?: { approval?: { request: number } } }) => e.details?.approval?.request === request,
  )

describe('approvals across replicas', () => {
  it('a request made on one replica is approved on another, and every replica serves the result', async () => {
    const held = await cluster.api(a, 'PATCH', STATE, { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 5 }] })
    expect(held.status).toBe(202)
    const id = held.json.request.id
    const approved = await call(b.url, reviewer, 'POST', `/api/v1/change-requests/${id}/approve`, {})
    expect(approved.json).toMatchObject({ status: 'applied' })
    await eventually(async () => (await cluster.api(a, 'GET', STATE)).json, (s) => s.enabled === true, 'the change on replica a')
    expect(await appliedEntries(id)).toHaveLength(1)
  })

  it('a scheduled request is applied once when its time comes', async () => {
    const id = (await cluster.api(b, 'PATCH', STATE, { cohorts: [{ name: 'all', conditions: [], rollout: 25 }] })).json.request.id
    const applyAt = Date.now() + 1500
    expect((await cluster.api(a, 'POST', `/api/v1/change-requests/${id}/apply`, { applyAt })).json.applyAt).toBe(applyAt)
    expect((await call(a.url, reviewer, 'POST', `/api/v1/change-requests/${id}/approve`, {})).json.status).toBe('approved')
    const applied = await eventually(
      async () => (await cluster.api(b, 'GET', `/api/v1/change-requests/${id}`)).json,
      (r) => r.status === 'applied',
      'the scheduled application',
    )
    for (const replica of [a, b])
      await eventually(async () => (await cluster.api(replica, 'GET', STATE)).json, (s) => s.version >= applied.appliedVersion, 'the applied version')
    expect((await cluster.api(a, 'GET', STATE)).json.cohorts[0].rollout).toBe(25)
    expect(await appliedEntries(id)).toHaveLength(1)
  })
})
