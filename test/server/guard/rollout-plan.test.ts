import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../../helpers/stack.ts'

let s: Stack
let clock: number
let dbPath: string
let batchNo = 0
const PROD = '/api/v1/environments/production/flags/checkout-v2'

beforeEach(async () => {
  clock = 1_800_000_000_000
  dbPath = join(mkdtempSync(join(tmpdir(), 'cf-plan-')), 'db.sqlite')
  s = makeStack({ now: () => clock, databasePath: dbPath })
  await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
  await s.call('PATCH', PROD, { body: { enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 0 }] } })
  await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, minExposures: 200, windowSeconds: 60 } })
})
afterEach(() => s.close())

const rollout = async () => (await s.call('GET', PROD)).json.cohorts[0].rollout
const plan = async () => (await s.call('GET', PROD)).json.plan
function traffic(counts: [number, number, number, number]) {
  s.guard.ingest('production', { id: `p-${++batchNo}`, start: clock - 1000, end: clock, flags: { 'checkout-v2': counts } })
}
/** Moves the clock by `ms`, sending healthy traffic along the way when asked. */
function pass(ms: number, counts?: [number, number, number, number]) {
  const step = 5000
  for (let t = 0; t < ms; t += step) {
    clock += step
    if (counts) traffic(counts)
    s.planner.tick()
  }
}

describe('rollout plans', () => {
  it('advances 1 → 5 → 25 while healthy, one audited step per interval by actor rollout-plan', async () => {
    const started = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    expect(started.status).toBe(200)
    expect(await rollout()).toBe(1)
    pass(55_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(1) // interval not over yet
    pass(10_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
    pass(60_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(25)
    expect(await plan()).toMatchObject({ status: 'completed', step: 2, nextAt: null })
    const audit = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=2')).json.items
    expect(audit.map((a: any) => [a.actor, a.action, a.details.rollout])).toEqual([
      ['rollout-plan', 'plan.step', 25],
      ['rollout-plan', 'plan.step', 5],
    ])
  })

  it('waits while traffic is too thin to judge', async () => {
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    pass(180_000, [10, 0, 90, 1])
    expect(await rollout()).toBe(1)
    expect((await plan()).status).toBe('active')
  })

  it('stops on a trip and keeps the flag off', async () => {
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    pass(65_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
    pass(20_000, [100, 30, 900, 9])
    const state = (await s.call('GET', PROD)).json
    expect(state.enabled).toBe(false)
    expect(state.plan).toMatchObject({ status: 'stopped', note: expect.stringContaining('guard tripped') })
    pass(120_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
  })

  it('pauses, resumes and cancels', async () => {
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    const stale = (await s.call('GET', PROD)).json.version - 1
    expect((await s.call('POST', `${PROD}/plan/pause`, { headers: { 'if-match': `"${stale}"` } })).status).toBe(409)
    expect((await s.call('POST', `${PROD}/plan/pause`)).json.plan.status).toBe('paused')
    pass(120_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(1)
    expect((await s.call('POST', `${PROD}/plan/pause`)).status).toBe(409)
    expect((await s.call('POST', `${PROD}/plan/resume`)).json.plan.status).toBe('active')
    pass(65_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
    expect((await s.call('POST', `${PROD}/plan/cancel`)).json.plan.status).toBe('cancelled')
    pass(120_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
  })

  it('resumes its schedule after a server restart', async () => {
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    pass(30_000, [100, 1, 900, 9])
    s.close()
    s = makeStack({ now: () => clock, databasePath: dbPath })
    expect((await plan()).status).toBe('active')
    pass(40_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
  })

  it('refuses a plan without a guard, with unknown cohort, or with steps that do not increase', async () => {
    await s.call('DELETE', `${PROD}/guard`)
    const noGuard = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5], intervalSeconds: 60 } })
    expect(noGuard).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/^guard: /) } } })
    await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, minExposures: 200, windowSeconds: 60 } })
    expect((await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'nope', steps: [1, 5], intervalSeconds: 60 } })).status).toBe(404)
    const flat = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [5, 5], intervalSeconds: 60 } })
    expect(flat.json.error.message).toBe('steps: must be strictly increasing')
  })
})
