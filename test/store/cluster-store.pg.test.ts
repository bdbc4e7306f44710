import { fromLegacyCounts } from '../../sdk/core/metrics.ts'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createPgStore, type PgStore } from '../../server/store/pg/pg-store.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts'

/** What replicas share beyond the store contract (PostgreSQL only). */

let database: TestDatabase
let store: PgStore
let other: PgStore
beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'))
  store = await createPgStore(database.url)
  other = await createPgStore(database.url)
})
afterAll(async () => {
  await store.close()
  await other.close()
  await database.drop()
})

const row = (i: number) => ({ envKey: 'prod', flagKey: `f${i % 3}`, source: 'server' as const, at: 1000 + i, counts: fromLegacyCounts([i, 0, i, 1]) })

describe('cluster store (PostgreSQL)', () => {
  it('hands each appended count to exactly one of two concurrent consumers', async () => {
    const appended = Array.from({ length: 300 }, (_, i) => row(i))
    const consumed: number[] = []
    const writes = Promise.all(Array.from({ length: 10 }, (_, w) => store.cluster.appendCounts(appended.slice(w * 30, w * 30 + 30))))
    for (let round = 0; round < 20; round++) {
      const [a, b] = await Promise.all([store.cluster.consumeCounts(), other.cluster.consumeCounts()])
      consumed.push(...[...a, ...b].map((r) => r.at))
    }
    await writes
    consumed.push(...(await store.cluster.consumeCounts()).map((r) => r.at))
    expect(consumed.sort((x, y) => x - y)).toEqual(appended.map((r) => r.at))
    expect(await store.cluster.consumeCounts()).toEqual([])
  })

  it('consumes counts and stores evidence together, or neither', async () => {
    await store.cluster.appendCounts([row(1), row(2)])
    await expect(
      store.cluster.consumeAndSave(() => {
        throw new Error('the leader failed mid-tick')
      }),
    ).rejects.toThrow('mid-tick')
    let seen: number[] = []
    await other.cluster.consumeAndSave((rows) => {
      seen = rows.map((r) => r.at)
      return { save: [{ envKey: 'prod', flagKey: 'c', evidence: { seen: rows.length } }], remove: [] }
    })
    expect(seen).toEqual([1001, 1002])
    expect(await store.cluster.consumeCounts()).toEqual([])
    expect((await store.evidence.loadEvidence()).find((e) => e.flagKey === 'c')?.evidence).toEqual({ seen: 2 })
  })

  it('lists the connection lists heard from since a time, and forgets a replica', async () => {
    await store.cluster.publishConnections('r1', [{ id: 'c1' }], 5000)
    await store.cluster.publishConnections('r2', [{ id: 'c2' }], 1000)
    await store.cluster.publishConnections('r1', [{ id: 'c3' }], 6000)
    expect(await other.cluster.connections(2000)).toEqual([{ replicaId: 'r1', connections: [{ id: 'c3' }], heartbeatAt: 6000 }])
    await store.cluster.forgetReplica('r1')
    expect(await other.cluster.connections(0)).toEqual([{ replicaId: 'r2', connections: [{ id: 'c2' }], heartbeatAt: 1000 }])
  })
})
