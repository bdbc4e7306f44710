import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Store } from '../../server/store/contract.ts'
import { createPgStore } from '../../server/store/pg/pg-store.ts'
import { createSqliteStore } from '../../server/store/sqlite-store.ts'
import { createTestDatabase, startEmbeddedPostgres } from '../../test/helpers/postgres.ts'

/**
 * Write throughput of `updateState` (one unit of work: state + change log + audit + version)
 * on each store, durable settings on both sides: SQLite as the server opens it (WAL,
 * synchronous=FULL, a file under the OS temp dir) and a local embedded PostgreSQL with its
 * defaults (fsync, synchronous_commit on). `TEST_DATABASE_URL` names another PostgreSQL.
 *
 *   npx tsx bench/store/write-throughput.ts [writes per run = 500]   (3 rounds, medians)
 *
 * A figure, not a test: run it alone, the machine's disk and load decide the numbers.
 */

const WRITES = Number(process.argv[2] ?? 500)
const FLAGS = 8

async function seed(store: Store): Promise<void> {
  await store.flags.createEnvironment({ key: 'production', name: 'Production' }, 'bench')
  for (let i = 0; i < FLAGS; i++)
    await store.flags.createFlag(
      { key: `flag-${i}`, description: '', tags: [], clientSide: false },
      'bench',
    )
}

const update = (i: number) => ({
  actor: 'bench',
  action: 'flag.state.update',
  update: () => ({ cohorts: [{ name: 'all', conditions: [], rollout: (i % 100) + 0.5 }] }),
})

/** `writes` updates with `inFlight` of them outstanding at a time; returns writes per second. */
async function measure(store: Store, writes: number, inFlight: number): Promise<number> {
  let next = 0
  const started = performance.now()
  const worker = async () => {
    for (let i = next++; i < writes; i = next++)
      await store.flags.updateState('production', `flag-${i % FLAGS}`, update(i))
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return writes / ((performance.now() - started) / 1000)
}

const ROUNDS = 3
const samples = new Map<string, number[]>()
const record = (name: string, writesPerSecond: number) => {
  samples.set(name, [...(samples.get(name) ?? []), writesPerSecond])
  process.stderr.write(`${name}: ${Math.round(writesPerSecond)} writes/s\n`)
}

const sqliteFile = join(tmpdir(), `canary-flags-bench-${randomBytes(4).toString('hex')}.db`)

const sqlite = createSqliteStore(sqliteFile)
await seed(sqlite)

const server = process.env.TEST_DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres({ durable: true })
if (server)
  process.stderr.write(`embedded PostgreSQL started in ${Math.round(server.startedInMs)} ms\n`)
const database = await createTestDatabase(process.env.TEST_DATABASE_URL ?? server!.url)
const postgres = await createPgStore(database.url, { maxConnections: 16 })
await seed(postgres)

try {
  // Rounds alternate the stores, so a burst of load from elsewhere hits all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const inFlight of [1, 8])
      record(`sqlite ×${inFlight}`, await measure(sqlite, WRITES, inFlight))
    for (const inFlight of [1, 8, 16])
      record(`postgres ×${inFlight}`, await measure(postgres, WRITES, inFlight))
  }
} finally {
  await sqlite.close()
  await postgres.close()
  await database.drop()
  await server?.stop()
  for (const suffix of ['', '-wal', '-shm']) await rm(sqliteFile + suffix, { force: true })
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
console.table(
  [...samples].map(([store, values]) => ({
    store,
    'median writes/s': Math.round(median(values)),
    runs: values.map(Math.round).join(' '),
  })),
)
