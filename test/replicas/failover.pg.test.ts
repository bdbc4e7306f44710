import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import type { ServerProcess } from '../cli/server-process.ts'
import { seededRandom } from '../helpers/random.ts'
import { startReplicas, type Replicas } from '../helpers/replicas.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'

/**
 * Replicas dying with `kill -9` (no drain, no unlock): SDKs behind a balancer reconnect to the
 * others and resume from their version, losing nothing; the guard leader's successor still
 * switches a failing canary off.
 */

const ENV = 'production'
const flagPath = (key: string) => `/api/v1/environments/${ENV}/flags/${key}`
let cluster: Replicas | undefined
const clients: FlagClient[] = []
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 200 })))
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await cluster?.close()
  cluster = undefined
})

async function serverKey(c: Replicas): Promise<string> {
  return (await c.api(c.replicas[0]!, 'POST', '/api/v1/keys', { name: 'sdk', kind: 'server', environment: ENV })).json.secret
}

async function envVersion(c: Replicas, via: ServerProcess): Promise<number> {
  return (await c.api(via, 'GET', '/api/v1/environments')).json.items.find((e: { key: string }) => e.key === ENV).version
}

/** The replica holding the guard-leader lock, from its log line. */
async function leaderOf(c: Replicas): Promise<ServerProcess> {
  return vi.waitFor(
    () => {
      const leaders = c.replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null && /now the guard leader/.test(r.output()))
      const current = leaders.filter((r) => r.output().lastIndexOf('now the guard leader') > r.output().lastIndexOf('no longer the guard leader'))
      expect(current).toHaveLength(1)
      return current[0]!
    },
    { timeout: 15_000, interval: 100 },
  )
}

describe('replica failures', () => {
  it('kill -9 of a replica while changes are made: its SDKs reconnect to the others and lose nothing', { timeout: 120_000 }, async () => {
    cluster = await startReplicas(inject('postgresUrl'), 3)
    const c = cluster
    const [a, b, cc] = c.replicas as [ServerProcess, ServerProcess, ServerProcess]
    const key = await serverKey(c)
    for (const flag of ['kill-0', 'kill-1']) {
      await c.api(a, 'POST', '/api/v1/flags', { key: flag })
      await c.api(a, 'PATCH', flagPath(flag), { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 1 }] })
    }
    // One balancer address per replica, so the test knows which SDKs were on the killed one.
    const proxies = await Promise.all(c.replicas.map((r) => startTcpProxy(r.port)))
    cleanups.push(async () => void (await Promise.all(proxies.map((p) => p.close()))))
    const resyncs: string[] = []
    for (let i = 0; i < 15; i++)
      clients.push(
        createClient({
          url: proxies[i % 3]!.url,
          key,
          flushIntervalMs: 3_600_000,
          logger: { debug: (m) => void (m.startsWith('resync') && resyncs.push(m)) },
        }),
      )
    await Promise.all(clients.map((client) => client.ready({ timeoutMs: 20_000 })))

    // Writers through B and C; A is killed part-way. Each writer owns one flag.
    let killed = false
    const writer = async (via: ServerProcess, flag: string) => {
      for (let i = 2; i <= 100; i++) {
        if (i === 30 && via === b && !killed) {
          killed = true
          await c.kill(a)
          proxies[0]!.retarget(b.port) // the balancer's health check takes A out
        }
        expect((await c.api(via, 'PATCH', flagPath(flag), { cohorts: [{ name: 'all', conditions: [], rollout: i }] })).status).toBe(200)
      }
    }
    await Promise.all([writer(b, 'kill-0'), writer(cc, 'kill-1')])
    expect(killed).toBe(true)

    const last = await envVersion(c, b)
    await vi.waitFor(() => {
      for (const client of clients) expect(client.version).toBe(last)
    }, { timeout: 30_000, interval: 200 })
    // Resumed by version: the missed changes came from the change log, never a resync.
    expect(resyncs).toEqual([])
    const fresh = createClient({ url: cc.url, key, flushIntervalMs: 3_600_000, logger: {} })
    clients.push(fresh)
    await fresh.ready({ timeoutMs: 10_000 })
    const users = Array.from({ length: 200 }, (_, i) => ({ userId: `u-${i}` }))
    const answers = (client: FlagClient) => ['kill-0', 'kill-1'].map((f) => users.map((u) => client.isEnabled(f, u)))
    for (const client of clients) expect(answers(client)).toEqual(answers(fresh))
  })

  it('kill -9 of the guard leader: another replica takes over and a failing canary is still switched off once', { timeout: 120_000 }, async () => {
    cluster = await startReplicas(inject('postgresUrl'), 3)
    const c = cluster
    const key = await serverKey(c)
    const first = c.replicas[0]!
    await c.api(first, 'POST', '/api/v1/flags', { key: 'checkout-v2' })
    await c.api(first, 'PATCH', flagPath('checkout-v2'), { enabled: true, cohorts: [{ name: 'half', conditions: [], rollout: 50 }] })
    // A floor of exposures that the traffic before the kill cannot reach: the trip needs the
    // evidence gathered under both leaders.
    await c.api(first, 'PUT', `${flagPath('checkout-v2')}/guard`, { maxErrorRate: 0.05, minExposures: 1500 })
    const leader = await leaderOf(c)
    const survivors = c.replicas.filter((r) => r !== leader)
    // SDKs on the replicas that survive report a canary failing 20% of the time.
    for (let i = 0; i < 6; i++)
      clients.push(createClient({ url: survivors[i % 2]!.url, key, flushIntervalMs: 200, logger: {} }))
    await Promise.all(clients.map((client) => client.ready({ timeoutMs: 20_000 })))
    const random = seededRandom(7)
    const serve = (round: number) =>
      clients.forEach((flags, n) => {
        for (let i = 0; i < 40; i++) {
          const user = { userId: `user-${round}-${n}-${i}` }
          if (random() < (flags.isEnabled('checkout-v2', user) ? 0.2 : 0.01)) flags.recordError('checkout-v2', user)
        }
      })
    for (let round = 0; round < 3; round++) {
      serve(round)
      await new Promise((r) => setTimeout(r, 300))
    }
    // The leader has fed some of those counts to the tests (shared evidence, seen from a survivor).
    await vi.waitFor(async () => {
      const status = (await c.api(survivors[0]!, 'GET', `${flagPath('checkout-v2')}/guard`)).json
      expect(status.decision.figures.canaryExposures).toBeGreaterThan(0)
    }, { timeout: 15_000, interval: 200 })
    const killedAt = Date.now()
    await c.kill(leader)
    const successor = await leaderOf(c)
    expect(survivors).toContain(successor)
    for (let round = 3; round < 60 && (await c.api(survivors[0]!, 'GET', flagPath('checkout-v2'))).json.enabled; round++) {
      serve(round)
      await new Promise((r) => setTimeout(r, 300))
    }
    await vi.waitFor(async () => expect((await c.api(survivors[1]!, 'GET', flagPath('checkout-v2'))).json.enabled).toBe(false), {
      timeout: 20_000,
      interval: 200,
    })
    const audit = (await c.api(survivors[0]!, 'GET', '/api/v1/audit?flag=checkout-v2&limit=50')).json.items
    const trips = audit.filter((row: { action: string }) => row.action === 'guard.trip')
    expect(trips).toHaveLength(1)
    // The successor resumed the tests the dead leader had started, instead of starting afresh.
    expect(trips[0].details.figures.since).toBeLessThan(killedAt)
    expect(trips[0].details.figures.canaryExposures).toBeGreaterThanOrEqual(1500)
  })
})
