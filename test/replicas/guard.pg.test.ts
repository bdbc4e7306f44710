import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { call } from '../cli/server-process.ts'
import { rawSocket } from '../helpers/raw-socket.ts'
import { seededRandom } from '../helpers/random.ts'
import { REPLICA_ADMIN_KEY } from '../helpers/replicas.ts'
import { startReplicas, type Replicas } from '../helpers/replicas.ts'

/**
 * The guard and rollout plans with three replicas: counts reported to any replica feed one set
 * of tests, and only the leader acts, so a trip and each plan step happen once.
 */

const ENV = 'production'
const FLAG = `/api/v1/environments/${ENV}/flags/checkout-v2`
let cluster: Replicas | undefined
const clients: FlagClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 200 })))
  await cluster?.close()
  cluster = undefined
})

async function setup(cohort: { rollout: number }, guard: object): Promise<Replicas> {
  const c = (cluster = await startReplicas(inject('postgresUrl'), 3))
  const first = c.replicas[0]!
  const key = (await c.api(first, 'POST', '/api/v1/keys', { name: 'sdk', kind: 'server', environment: ENV })).json.secret
  await c.api(first, 'POST', '/api/v1/flags', { key: 'checkout-v2' })
  await c.api(first, 'PATCH', FLAG, { enabled: true, cohorts: [{ name: 'all', conditions: [], ...cohort }] })
  await c.api(first, 'PUT', `${FLAG}/guard`, guard)
  // Three SDKs on each replica.
  for (let i = 0; i < 9; i++) clients.push(createClient({ url: c.replicas[i % 3]!.url, key, flushIntervalMs: 200, logger: {} }))
  await Promise.all(clients.map((client) => client.ready({ timeoutMs: 20_000 })))
  return c
}

function serve(round: number, canaryRate: number, random: () => number, perClient = 40) {
  clients.forEach((flags, n) => {
    for (let i = 0; i < perClient; i++) {
      const user = { userId: `user-${round}-${n}-${i}` }
      if (random() < (flags.isEnabled('checkout-v2', user) ? canaryRate : 0.01)) flags.recordError('checkout-v2', user)
    }
  })
}

describe('guard and plans with three replicas', () => {
  it('a failing canary whose SDKs report to different replicas trips once', { timeout: 120_000 }, async () => {
    const c = await setup({ rollout: 50 }, { maxErrorRate: 0.05, minExposures: 600 })
    const random = seededRandom(11)
    for (let round = 0; round < 60 && (await c.api(c.replicas[1]!, 'GET', FLAG)).json.enabled; round++) {
      serve(round, 0.2, random)
      await new Promise((r) => setTimeout(r, 300))
    }
    // Every replica's SDKs hear it switched off.
    await vi.waitFor(() => {
      for (const client of clients) expect(client.explain('checkout-v2', { userId: 'u' }).reason).toBe('off')
    }, { timeout: 20_000 })
    // Counts keep arriving at every replica for a while; the flag is off, so nothing trips again.
    for (let round = 0; round < 5; round++) {
      serve(100 + round, 0.2, random)
      await new Promise((r) => setTimeout(r, 300))
    }
    const audit = (await c.api(c.replicas[2]!, 'GET', '/api/v1/audit?flag=checkout-v2&limit=100')).json.items
    const trips = audit.filter((row: { action: string }) => row.action === 'guard.trip')
    expect(trips).toHaveLength(1)
    // The trip's figures hold counts from SDKs of more than one replica (9 SDKs × 40 a round).
    expect(trips[0].details.figures.canaryExposures).toBeGreaterThanOrEqual(600)
    // Any replica shows the tripped status.
    for (const replica of c.replicas)
      expect((await c.api(replica, 'GET', `${FLAG}/guard`)).json.status).toBe('tripped')
  })

  it('a plan advances exactly one step per interval with three replicas running', { timeout: 120_000 }, async () => {
    const c = await setup({ rollout: 5 }, { maxErrorRate: 0.2, minExposures: 50 })
    const intervalSeconds = 2
    const started = await c.api(c.replicas[1]!, 'PUT', `${FLAG}/plan`, { cohort: 'all', steps: [10, 20, 30, 40], intervalSeconds })
    expect(started.status).toBe(200)
    const random = seededRandom(3)
    // Healthy traffic through every replica until the plan completes.
    for (let round = 0; round < 200; round++) {
      const plan = (await c.api(c.replicas[round % 3]!, 'GET', `${FLAG}/guard`)).json.guard
      const state = (await c.api(c.replicas[round % 3]!, 'GET', FLAG)).json
      if (state.plan?.status === 'completed') break
      expect(plan).not.toBeNull()
      serve(round, 0, random, 30)
      await new Promise((r) => setTimeout(r, 200))
    }
    const state = (await c.api(c.replicas[0]!, 'GET', FLAG)).json
    expect(state.plan.status).toBe('completed')
    expect(state.cohorts[0].rollout).toBe(40)
    const audit = (await c.api(c.replicas[2]!, 'GET', '/api/v1/audit?flag=checkout-v2&limit=100')).json.items.reverse()
    const steps = audit.filter((row: { action: string }) => row.action === 'plan.step')
    // Steps 1–4 once each (step 0 is the cohort's 5% at the start: a plan never widens on nothing), in order…
    expect(steps.map((row: { details: { step: number } }) => row.details.step)).toEqual([1, 2, 3, 4])
    // …and each only once it was due: one interval after the previous step (its `nextAt`).
    const starts = audit.filter((row: { action: string }) => row.action === 'plan.start')
    const rows = [starts[0], ...steps]
    for (let i = 1; i < rows.length; i++) {
      const due = rows[i - 1].after.plan.nextAt
      expect(typeof due).toBe('number')
      expect(rows[i].at).toBeGreaterThanOrEqual(due)
    }
  })

  it('a batch is accepted once cluster-wide, and the console feed of every replica shows every replica’s counts', { timeout: 60_000 }, async () => {
    const c = (cluster = await startReplicas(inject('postgresUrl'), 3))
    const first = c.replicas[0]!
    const key = (await c.api(first, 'POST', '/api/v1/keys', { name: 'sdk', kind: 'server', environment: ENV })).json.secret
    await c.api(first, 'POST', '/api/v1/flags', { key: 'checkout-v2' })
    await c.api(first, 'PATCH', FLAG, { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 10 }] })
    await c.api(first, 'PUT', `${FLAG}/guard`, { maxErrorRate: 0.5, minExposures: 100_000, windowSeconds: 600 })
    const consoles = c.replicas.map((r) => rawSocket(r.url, REPLICA_ADMIN_KEY, { query: `?env=${ENV}` }))
    for (const socket of consoles) {
      await socket.opened
      socket.send({ type: 'hello', sdk: 'console' })
    }
    // Five batches through each replica, then each of them resent to another replica.
    const batch = (id: string) => ({ batch: { id, start: 0, end: 1, flags: { 'checkout-v2': [10, 1, 50, 0] } } })
    for (let i = 0; i < 15; i++) {
      const sent = await call(c.replicas[i % 3]!.url, key, 'POST', '/api/v1/metrics', batch(`b-${i}`))
      expect(sent.json).toMatchObject({ duplicate: false })
    }
    for (let i = 0; i < 15; i++) {
      const resent = await call(c.replicas[(i + 1) % 3]!.url, key, 'POST', '/api/v1/metrics', batch(`b-${i}`))
      expect(resent.json).toMatchObject({ duplicate: true })
    }
    for (const socket of consoles) {
      const update = await socket.next((m) => m.type === 'guard_update' && m.guard.decision?.figures.canaryExposures === 150, 0, 20_000)
      expect(update.guard.recent).toMatchObject({ canaryExposures: 150, canaryErrors: 15, controlExposures: 750 })
      socket.socket.close()
    }
    for (const replica of c.replicas) {
      const status = (await c.api(replica, 'GET', `${FLAG}/guard`)).json
      expect(status.decision.figures).toMatchObject({ canaryExposures: 150, canaryErrors: 15 })
    }
  })
})
