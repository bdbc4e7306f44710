/**
 * Times `GET /api/v1/flags` with 10,000 flags (two environments each) on an in-process stack:
 * the first page (the default limit, 1,000 flags) and the whole list, every page followed by
 * its `nextCursor`. Each time includes parsing the JSON answer, as a client does. Five runs;
 * the median is the figure (the machine's two cores are shared).
 *
 * SQLite in memory by default; `--postgres` uses a throwaway embedded PostgreSQL (or
 * `TEST_DATABASE_URL`'s server) instead.
 * Run: npx tsx scripts/measure-flag-list.ts [flags] [runs] [--postgres]
 */
import { createPgStore } from '../server/store/pg/pg-store.ts'
import { createTestDatabase, startEmbeddedPostgres } from '../test/helpers/postgres.ts'
import { ADMIN_KEY, makeStack } from '../test/helpers/stack.ts'

const args = process.argv.slice(2)
const postgres = args.includes('--postgres')
const [count = 10_000, runs = 5] = args.filter((a) => !a.startsWith('--')).map(Number)

async function openPostgres() {
  const server = process.env.TEST_DATABASE_URL ? undefined : await startEmbeddedPostgres()
  const database = await createTestDatabase(process.env.TEST_DATABASE_URL ?? server!.url)
  const store = await createPgStore(database.url)
  return { store, stop: async () => (await database.drop(), await server?.stop()) }
}
const pg = postgres ? await openPostgres() : undefined
const stack = await makeStack(pg ? { store: pg.store } : {})
for (let i = 0; i < count; i++)
  await stack.store.flags.createFlag({ key: `flag-${i}`, description: '', tags: [], clientSide: false }, 'measure')

const headers = { authorization: `Bearer ${ADMIN_KEY}` }
async function page(cursor: string | null) {
  const path = cursor === null ? '/api/v1/flags' : `/api/v1/flags?cursor=${encodeURIComponent(cursor)}`
  const response = await stack.app.request(path, { headers })
  return (await response.json()) as { items: unknown[]; nextCursor: string | null }
}

const firsts: number[] = []
const wholes: number[] = []
for (let run = 1; run <= runs; run++) {
  let started = performance.now()
  const first = await page(null)
  firsts.push(performance.now() - started)
  started = performance.now()
  let listed = 0
  let pages = 0
  for (let cursor: string | null = null; ; pages++) {
    const { items, nextCursor } = await page(cursor)
    listed += items.length
    if (nextCursor === null) break
    cursor = nextCursor
  }
  wholes.push(performance.now() - started)
  console.log(
    `run ${run}: first page (${first.items.length} flags) ${firsts.at(-1)!.toFixed(1)} ms; ` +
      `all ${listed} flags in ${pages + 1} pages ${wholes.at(-1)!.toFixed(1)} ms`,
  )
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!.toFixed(1)
console.log(`GET /api/v1/flags at ${count} flags (${postgres ? 'PostgreSQL' : 'SQLite'}), median of ${runs}: first page ${median(firsts)} ms, all pages ${median(wholes)} ms`)
await stack.close()
await pg?.stop()
