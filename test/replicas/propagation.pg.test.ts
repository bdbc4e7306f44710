import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { rawSocket, type RawSocket } from '../helpers/raw-socket.ts'
import { REPLICA_ADMIN_KEY, startReplicas, type Replicas } from '../helpers/replicas.ts'

/**
 * Three `canary serve` replicas on one real PostgreSQL: a change made through any replica
 * reaches the SDKs of every replica, each change once, in version order.
 */

const ENV = 'production'
const flagPath = (key: string) => `/api/v1/environments/${ENV}/flags/${key}`
let cluster: Replicas
let serverKey: string

beforeAll(async () => {
  cluster = await startReplicas(inject('postgresUrl'), 3)
  const created = await cluster.api(cluster.replicas[0]!, 'POST', '/api/v1/keys', { name: 'sdk', kind: 'server', environment: ENV })
  serverKey = created.json.secret
})
afterAll(() => cluster?.close())

/** The change versions a raw socket received after its snapshot (or first message). */
function versionsOf(socket: RawSocket): number[] {
  return socket.messages.flatMap((m) => (m.type === 'changes' ? m.changes.map((c: { version: number }) => c.version) : []))
}

async function openRaw(url: string): Promise<RawSocket> {
  const socket = rawSocket(url, serverKey)
  await socket.opened
  socket.send({ type: 'hello', sdk: 'raw-test' })
  await socket.next((m) => m.type === 'snapshot')
  return socket
}

async function envVersion(): Promise<number> {
  const list = await cluster.api(cluster.replicas[1]!, 'GET', '/api/v1/environments')
  return list.json.items.find((e: { key: string }) => e.key === ENV).version
}

/** Every version after the snapshot's, once and in order, up to `last`. */
function expectContiguous(socket: RawSocket, last: number) {
  const snapshot = socket.messages.find((m) => m.type === 'snapshot')
  const versions = versionsOf(socket)
  expect(versions).toEqual(Array.from({ length: last - snapshot.version }, (_, i) => snapshot.version + 1 + i))
}

describe('changes across replicas', () => {
  it('a change made through replica A reaches SDKs on B and C, in order', async () => {
    const [a, b, c] = cluster.replicas as [typeof cluster.replicas[0], typeof cluster.replicas[0], typeof cluster.replicas[0]]
    await cluster.api(a!, 'POST', '/api/v1/flags', { key: 'through-a' })
    const onB = await openRaw(b!.url)
    const onC = await openRaw(c!.url)
    for (let i = 1; i <= 20; i++)
      expect((await cluster.api(a!, 'PATCH', flagPath('through-a'), { enabled: i % 2 === 1 })).status).toBe(200)
    const last = await envVersion()
    for (const socket of [onB, onC]) {
      await socket.next((m) => m.type === 'changes' && m.changes.some((ch: { version: number }) => ch.version === last), 0, 15_000)
      expectContiguous(socket, last)
      const final = socket.messages.filter((m) => m.type === 'changes').at(-1).changes.at(-1)
      expect(final.flag).toMatchObject({ key: 'through-a', enabled: false })
      socket.socket.close()
    }
  })

  it('50 SDKs spread over three replicas see all of 500 changes made through all three at once', { timeout: 120_000 }, async () => {
    const lanes = 6 // two writers per replica, each on its own flags (no "nothing to change")
    const flagsPerLane = 3
    const flagKey = (lane: number, f: number) => `spread-${lane}-${f}`
    for (let lane = 0; lane < lanes; lane++)
      for (let f = 0; f < flagsPerLane; f++) {
        const replica = cluster.replicas[lane % 3]!
        await cluster.api(replica, 'POST', '/api/v1/flags', { key: flagKey(lane, f) })
        await cluster.api(replica, 'PATCH', flagPath(flagKey(lane, f)), { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 50 }] })
      }

    const resyncs: string[] = []
    const clients: FlagClient[] = []
    for (let i = 0; i < 50; i++)
      clients.push(
        createClient({
          url: cluster.replicas[i % 3]!.url,
          key: serverKey,
          flushIntervalMs: 3_600_000,
          logger: { debug: (m) => void (m.startsWith('resync') && resyncs.push(m)) },
        }),
      )
    await Promise.all(clients.map((c) => c.ready({ timeoutMs: 20_000 })))
    const raws = await Promise.all(cluster.replicas.map((r) => openRaw(r.url)))

    const total = 500
    const perLane = Math.ceil(total / lanes)
    let made = 0
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const replica = cluster.replicas[lane % 3]!
        for (let i = 0; i < perLane && made < total; i++) {
          made++
          const key = flagKey(lane, i % flagsPerLane)
          // Each flag's rollout moves by one every time it is changed: never "nothing to change".
          const rollout = Math.floor(i / flagsPerLane) % 100 === 50 ? 99 : Math.floor(i / flagsPerLane) % 100
          const response = await cluster.api(replica, 'PATCH', flagPath(key), { cohorts: [{ name: 'all', conditions: [], rollout }] })
          expect(response.status).toBe(200)
        }
      }),
    )
    expect(made).toBe(total)
    const last = await envVersion()
    await vi.waitFor(
      () => {
        for (const client of clients) expect(client.version).toBe(last)
        for (const raw of raws) expect(versionsOf(raw).at(-1)).toBe(last)
      },
      { timeout: 60_000, interval: 200 },
    )
    for (const raw of raws) expectContiguous(raw, last)
    expect(resyncs).toEqual([])

    // Final state equal to the database: every SDK answers as a fresh snapshot of it does.
    const fresh = createClient({ url: cluster.replicas[0]!.url, key: serverKey, flushIntervalMs: 3_600_000, logger: {} })
    await fresh.ready({ timeoutMs: 10_000 })
    expect(fresh.version).toBe(last)
    const users = Array.from({ length: 40 }, (_, i) => ({ userId: `user-${i}` }))
    const answers = (c: FlagClient) =>
      Array.from({ length: lanes * flagsPerLane }, (_, n) =>
        users.map((u) => c.isEnabled(flagKey(Math.floor(n / flagsPerLane), n % flagsPerLane), u)),
      )
    const truth = answers(fresh)
    for (const client of clients) expect(answers(client)).toEqual(truth)
    // And the rules a raw socket assembled equal the database's flags.
    const db = new Map<string, unknown>()
    for (let n = 0; n < lanes * flagsPerLane; n++) {
      const key = flagKey(Math.floor(n / flagsPerLane), n % flagsPerLane)
      db.set(key, (await cluster.api(cluster.replicas[2]!, 'GET', flagPath(key))).json.cohorts)
    }
    for (const raw of raws) {
      const flags = new Map<string, unknown>()
      const snapshot = raw.messages.find((m) => m.type === 'snapshot')
      for (const f of snapshot.flags) flags.set(f.key, f.cohorts)
      for (const m of raw.messages) if (m.type === 'changes') for (const ch of m.changes) if (ch.type === 'flag') flags.set(ch.flag.key, ch.flag.cohorts)
      for (const [key, cohorts] of db) expect(flags.get(key)).toEqual(cohorts)
      raw.socket.close()
    }
    await Promise.all([...clients, fresh].map((c) => c.close({ timeoutMs: 200 })))
  })

  it('counts each change once over the replicas’ /metrics (only the committing replica counts it)', async () => {
    const counted = async () => {
      let sum = 0
      for (const replica of cluster.replicas) {
        const response = await fetch(`${replica.url}/metrics`, { headers: { authorization: `Bearer ${REPLICA_ADMIN_KEY}` } })
        for (const line of (await response.text()).split('\n'))
          if (line.startsWith('canary_changes_accepted_total{') && line.includes(`environment="${ENV}"`)) sum += Number(line.split(' ').at(-1))
      }
      return sum
    }
    // Every change of the environment so far was made through one of these replicas.
    await vi.waitFor(async () => expect(await counted()).toBe(await envVersion()), { timeout: 15_000, interval: 250 })
  })

  it('the connections list of any replica shows every replica’s SDKs', { timeout: 60_000 }, async () => {
    const clients = cluster.replicas.map((r) =>
      createClient({ url: r.url, key: serverKey, flushIntervalMs: 3_600_000, sdkName: 'listed-sdk', logger: {} }),
    )
    await Promise.all(clients.map((c) => c.ready({ timeoutMs: 10_000 })))
    for (const replica of cluster.replicas)
      await vi.waitFor(async () => {
        const items = (await cluster.api(replica, 'GET', '/api/v1/connections')).json.items
        const listed = items.filter((item: { sdk: string }) => item.sdk === 'listed-sdk')
        expect(listed).toHaveLength(3)
        expect(new Set(listed.map((item: { replica: string }) => item.replica)).size).toBe(3)
      }, { timeout: 20_000, interval: 250 })
    await Promise.all(clients.map((c) => c.close({ timeoutMs: 200 })))
  })
})
