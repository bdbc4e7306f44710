import { closeSync, existsSync, mkdirSync, openSync, chmodSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.ts'

/** The drizzle database and, as `$client`, the better-sqlite3 connection under it (hot statements use it directly). */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), '../../migrations')

/**
 * The database holds key hashes, webhook signing secrets and every rule: readable by its owner
 * only, whatever the umask. A directory this creates is 0700; the file is created 0600 (and an
 * existing one tightened to 0600), and SQLite gives its -wal and -shm files the database file's
 * permissions.
 */
export function createPrivately(path: string): void {
  const dir = dirname(resolve(path))
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700)
  }
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600))
  chmodSync(path, 0o600)
}

/**
 * Opens (creating if needed) the SQLite file and applies pending migrations.
 * WAL lets readers (snapshots, audit pages) run beside the single writer; synchronous=FULL
 * makes every committed transaction durable before the API answers, so a change survives
 * `kill -9` and power loss alike.
 *
 * @example
 * const { db, close } = openDb(':memory:')
 */
export function openDb(path: string): { db: Db; sqlite: Database.Database; close: () => void } {
  if (path !== ':memory:') createPrivately(path)
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = drizzle(sqlite, { schema })
  migrate(db, { migrationsFolder: MIGRATIONS })
  return { db, sqlite, close: () => sqlite.close() }
}
