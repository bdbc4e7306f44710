import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import * as schema from './schema.ts'

export type PgDb = NodePgDatabase<typeof schema>

/** Drizzle's transaction handle for node-postgres (same query API as the database). */
export type PgTx = Parameters<Parameters<PgDb['transaction']>[0]>[0]

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../migrations/pg')

/** Any constant of our own: replicas starting together take turns to migrate. */
const MIGRATION_LOCK = 7_236_145_901

/**
 * Connects a pool to `databaseUrl` and applies pending migrations (`migrations/pg`). Replicas
 * that start at the same time migrate one after another under a session advisory lock, so each
 * migration runs once.
 *
 * @example
 * const { db, pool, close } = await openPgDb('postgres://canary@db/canary')
 */
export async function openPgDb(
  databaseUrl: string,
  options: { max?: number; log?: (message: string, error?: unknown) => void } = {},
): Promise<{ db: PgDb; pool: pg.Pool; close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10 })
  const log = options.log ?? ((message, error) => console.error(message, error))
  // An idle client's error (server restart, network) must not crash the process: the pool drops
  // that client and the next query gets a fresh one or a clear error of its own.
  pool.on('error', (error) =>
    log('postgres: an idle pooled connection failed; it was dropped', error),
  )
  try {
    const client = await pool.connect()
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
      try {
        await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS })
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
      }
    } finally {
      client.release()
    }
  } catch (error) {
    await pool.end()
    throw error
  }
  return { db: drizzle(pool, { schema }), pool, close: () => pool.end() }
}
