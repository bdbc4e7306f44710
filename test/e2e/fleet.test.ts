import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'

/** Many real Node SDKs on real sockets against a real server: delivery, restarts, resyncs. */

const FLAG = '/api/v1/environments/production/flags/checkout-v2'
const everyone = [{ name: 'everyone', conditions: [], rollout: 100 }]
let server: TestServer
const clients: FlagClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 200 })))
  await server.close()
})

async function fleet(n: number) {
  server = await startTestServer()
  const key = await server.createKey('server', 'production')
  await server.api('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await server.api('PATCH', FLAG, { enabled: false, cohorts: everyone })
  for (let i = 0; i < n; i++) clients.push(createClient({ url: server.url, key, logger: {}, sdkName: `svc-${i}` }))
  await Promise.all(clients.map((c) => c.ready({ timeoutMs: 10_000 })))
}

const allSee = (enabled: boolean) =>
  vi.waitFor(() => expect(clients.filter((c) => c.isEnabled('checkout-v2', { userId: 'u' }) === enabled)).toHaveLength(clients.length), {
    timeout: 15_000,
    interval: 25,
  })

describe('a fleet of SDKs', () => {
  it('a change made through the admin API reaches 50 connected SDKs', { timeout: 60_000 }, async () => {
    await fleet(50)
    expect((await server.api('GET', '/api/v1/connections')).json.items).toHaveLength(50)
    await server.api('PATCH', FLAG, { enabled: true })
    await allSee(true)
    const version = (await server.api('GET', FLAG)).json.version
    expect(clients.every((c) => c.version === version)).toBe(true)
  })

  it('carries on after a restart with no change, and misses none made while reconnecting', { timeout: 90_000 }, async () => {
    await fleet(20)
    await server.stop()
    await server.restart()
    await vi.waitFor(async () => expect((await server.api('GET', '/api/v1/connections')).json.items).toHaveLength(20), { timeout: 45_000, interval: 200 })
    expect(clients.every((c) => c.isEnabled('checkout-v2', { userId: 'u' }) === false)).toBe(true)

    await server.stop()
    await server.restart()
    // Changes land while the SDKs are still backing off: each must arrive, in order.
    await server.api('PATCH', FLAG, { enabled: true })
    await server.api('PATCH', FLAG, { cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['u'] }], rollout: 100 }] })
    const version = (await server.api('GET', FLAG)).json.version
    await vi.waitFor(() => expect(clients.filter((c) => c.version === version)).toHaveLength(20), { timeout: 45_000, interval: 100 })
    for (const c of clients) {
      expect(c.explain('checkout-v2', { userId: 'u' })).toEqual({ enabled: true, reason: 'cohort:beta' })
      expect(c.isEnabled('checkout-v2', { userId: 'other' })).toBe(false)
    }
  })

  it('an SDK that missed more changes than are kept gets a snapshot and ends with the right state', { timeout: 90_000 }, async () => {
    await fleet(0)
    const key = await server.createKey('server', 'production')
    const old = (await server.api('GET', '/api/v1/environments/production/snapshot', undefined, key)).json
    // 1,005 changes: more than the 1,000 the change log keeps after the SDK's version.
    for (let i = 0; i < 1005; i++) await server.api('PATCH', FLAG, { enabled: i % 2 === 0 })
    const version = (await server.api('GET', FLAG)).json.version
    const late = createClient({ url: server.url, key, bootstrap: old, logger: {} })
    clients.push(late)
    expect(late.isEnabled('checkout-v2', { userId: 'u' })).toBe(false) // the old state, at once
    await vi.waitFor(() => expect(late.version).toBe(version), { timeout: 15_000, interval: 50 })
    expect(late.isEnabled('checkout-v2', { userId: 'u' })).toBe(true)
  })
})
