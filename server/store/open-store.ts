import type { Store } from './contract.ts'
import { createPgStore } from './pg/pg-store.ts'
import { createSqliteStore } from './sqlite-store.ts'

/**
 * The store a configuration names: PostgreSQL when a `databaseUrl` is given (`DATABASE_URL`),
 * else the embedded SQLite file at `sqlitePath`. Either way migrations are applied before it
 * resolves. Reads no environment itself: `main.ts` passes the configuration down.
 *
 * @example
 * const store = await openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.databasePath })
 */
export async function openStore(options: {
  databaseUrl?: string | undefined
  sqlitePath: string
  log?: (message: string, error?: unknown) => void
}): Promise<Store> {
  if (options.databaseUrl)
    return createPgStore(options.databaseUrl, options.log ? { log: options.log } : {})
  return createSqliteStore(options.sqlitePath)
}
