import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { seededRandom } from '../helpers/random.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'

/**
 * The guard end to end: real SDKs serve simulated requests, record errors, and send real batches
 * over their sockets; the server trips the flag and every SDK hears it.
 */

const FLAG = '/api/v1/environments/production/flags/checkout-v2'
let server: TestServer
const clients: FlagClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 200 })))
  await server.close()
})

async function setup(guard: object) {
  server = await startTestServer()
  const key = await server.createKey('server', 'production')
  await server.api('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await server.api('PATCH', FLAG, {
    enabled: true,
    cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 20 }],
  })
  await server.api('PUT', `${FLAG}/guard`, guard)
  for (let i = 0; i < 10; i++) clients.push(createClient({ url: server.url, key, logger: {}, flushIntervalMs: 200 }))
  await Promise.all(clients.map((c) => c.ready({ timeoutMs: 10_000 })))
}

/** Each SDK serves `perClient` requests from EU users; the new path fails at `canaryRate`. */
function serve(perClient: number, canaryRate: number, seed: number) {
  const random = seededRandom(seed)
  clients.forEach((flags, c) => {
    for (let i = 0; i < perClient; i++) {
      const user = { userId: `user-${c}-${i}-${seed}`, region: 'eu-west' }
      const onNewPath = flags.isEnabled('checkout-v2', user)
      if (random() < (onNewPath ? canaryRate : 0.01)) flags.recordError('checkout-v2', user)
    }
  })
}

describe('guard with real SDKs', () => {
  it('trips a canary failing 20% of the time: every SDK sees it off, the audit holds the figures', { timeout: 60_000 }, async () => {
    await setup({ maxErrorRate: 0.05, minExposures: 200, windowSeconds: 60 })
    for (let round = 0; round < 20 && (await server.api('GET', FLAG)).json.enabled; round++) {
      serve(100, 0.2, round)
      await new Promise((r) => setTimeout(r, 300))
    }
    // The evidence is in; on a busy machine the guard's once-a-second look may come a little later.
    await vi.waitFor(async () => expect((await server.api('GET', FLAG)).json.enabled).toBe(false), { timeout: 20_000, interval: 200 })
    await vi.waitFor(() => {
      for (const c of clients) expect(c.explain('checkout-v2', { userId: 'user-0-0-0', region: 'eu-west' }).reason).toBe('off')
    })
    const audit = (await server.api('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(audit).toMatchObject({ actor: 'guard', action: 'guard.trip', details: { rule: 'max_error_rate' } })
    const f = audit.details.figures
    expect(f.canaryExposures).toBeGreaterThanOrEqual(200)
    expect(f.canaryErrors / f.canaryExposures).toBeGreaterThan(0.1)
    expect(f.maxErrorRate.statistic).toBeGreaterThanOrEqual(f.maxErrorRate.threshold)
    // Control (EU users outside the 20%) was counted too, at its own healthy rate.
    expect(f.controlExposures).toBeGreaterThan(f.canaryExposures)
    expect(f.controlErrors / f.controlExposures).toBeLessThan(0.03)
  })

  it('leaves a healthy canary at 1% errors on', { timeout: 60_000 }, async () => {
    await setup({ maxErrorRate: 0.05, minExposures: 200, windowSeconds: 60 })
    for (let round = 0; round < 5; round++) {
      serve(200, 0.01, 100 + round)
      await new Promise((r) => setTimeout(r, 300))
    }
    // Wait until every count has reached the tests (the guard feeds them once a second).
    await vi.waitFor(
      async () => {
        const status = (await server.api('GET', `${FLAG}/guard`)).json
        expect(status.status).toBe('healthy')
        expect(status.decision.figures.canaryExposures).toBeGreaterThan(1000)
      },
      { timeout: 10_000, interval: 200 },
    )
    expect((await server.api('GET', FLAG)).json.enabled).toBe(true)
  })
})
