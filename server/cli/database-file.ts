import { chmodSync, closeSync, existsSync, openSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import Database from 'better-sqlite3'
import { openDb } from '../store/db.ts'
import { CliError } from './errors.ts'

/**
 * Opens an existing database file for an offline command (`keys create --db`, `backup`). A
 * missing file is an error, not a new empty database: a typo in the path must not look like
 * success. Works while a server has the file open: SQLite (WAL) lets both write safely.
 */
export function openExistingDb(path: string) {
  if (!existsSync(path)) throw new CliError(`no database at ${resolve(path)} (check --db)`)
  try {
    return openDb(path)
  } catch (error) {
    throw new CliError(`cannot open the database ${resolve(path)}: ${(error as Error).message}`, 1, { cause: error })
  }
}

/**
 * Copies a live database with SQLite's online backup API (consistent even while the server
 * writes), then checks the copy with `PRAGMA integrity_check`. Writes to `to` only when done.
 */
export async function backupDatabase(from: string, to: string): Promise<{ pages: number }> {
  if (!existsSync(from)) throw new CliError(`no database at ${resolve(from)} (check --db)`)
  if (resolve(from) === resolve(to)) throw new CliError('--to must not be the database itself')
  if (existsSync(to)) throw new CliError(`${resolve(to)} already exists: choose a new file (backups are never overwritten)`)
  const source = new Database(from, { readonly: true, fileMustExist: true })
  try {
    // A backup holds what the database holds: owner-only, whatever the umask.
    closeSync(openSync(to, 'wx', 0o600))
    chmodSync(to, 0o600)
    const { totalPages } = await source.backup(to)
    const copy = new Database(to, { readonly: true })
    try {
      const check = copy.pragma('integrity_check', { simple: true })
      if (check !== 'ok') throw new CliError(`the backup at ${resolve(to)} failed its integrity check: ${String(check)}`)
    } finally {
      copy.close()
    }
    return { pages: totalPages }
  } catch (error) {
    if (error instanceof CliError) throw error
    rmSync(to, { force: true })
    throw new CliError(`backup failed: ${(error as Error).message}`, 1, { cause: error })
  } finally {
    source.close()
  }
}
