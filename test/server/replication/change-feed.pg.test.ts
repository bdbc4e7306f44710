import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { startChangeFeed, type ChangeFeed } from '../../../server/replication/change-feed.ts'
import { createSequencer } from '../../../server/replication/sequencer.ts'
import { createPgStore, type PgStore } from '../../../server/store/pg/pg-store.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts'

/**
 * The change feed on a real PostgreSQL: another process's commits (here another store) reach
 * this replica's publication path through NOTIFY, and through the version check while the
 * LISTEN connection is down.
 */

let database: TestDatabase
let writer: PgStore
let reader: PgStore
let feed: ChangeFeed
const published: number[] = []

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'))
  writer = await createPgStore(database.url)
  reader = await createPgStore(database.url)
  await writer.flags.createEnvironment({ key: 'prod', name: 'Production' }, 'test')
  await writer.flags.createFlag({ key: 'f', description: '', tags: [], clientSide: false }, 'test')
  const sequencer = createSequencer({
    publish: (_env, change) => published.push(change.version),
    changesSince: (env, after) => reader.logs.changesSince(env, after),
    currentVersion: async (env) => (await reader.flags.getEnvironment(env)).version,
    resync: () => {
      throw new Error('no resync expected')
    },
    log: () => {},
  })
  // A long version check: the announcements alone must carry the first test.
  feed = await startChangeFeed({ databaseUrl: database.url, store: reader, sequencer, log: () => {}, checkMs: 60_000, maxBackoffMs: 200 })
})
afterAll(async () => {
  await feed.close()
  await writer.close()
  await reader.close()
  await database.drop()
})

const change = (rollout: number) =>
  writer.flags.updateState('prod', 'f', { actor: 'test', action: 'flag.rollout', update: () => ({ cohorts: [{ name: 'all', conditions: [], rollout }] }) })

const versionNow = async () => (await writer.flags.getEnvironment('prod')).version

describe('change feed', () => {
  it('publishes another writer’s commits, announced by NOTIFY, once each and in order', async () => {
    const start = await versionNow()
    for (let i = 1; i <= 30; i++) await change(i)
    await vi.waitFor(() => expect(published.at(-1)).toBe(start + 30))
    expect(published.filter((v) => v > start)).toEqual(Array.from({ length: 30 }, (_, i) => start + 1 + i))
  })

  it('catches up after its LISTEN connection is cut, from the change log, with nothing lost', async () => {
    const before = published.length
    const start = await versionNow()
    const admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
    const cut = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen%'`)
    expect(cut.rowCount).toBe(1)
    await admin.end()
    for (let i = 31; i <= 50; i++) await change(i)
    await vi.waitFor(() => expect(published.at(-1)).toBe(start + 20), { timeout: 15_000 })
    expect(published.slice(before)).toEqual(Array.from({ length: 20 }, (_, i) => start + 1 + i))
    await vi.waitFor(() => expect(feed.listening()).toBe(true))
  })
})
