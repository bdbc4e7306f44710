import { noPositionals, parseCommand, required } from './args.ts'
import type { Command } from './command.ts'
import { backupDatabase } from './database-file.ts'

/**
 * `canary backup --to FILE [--db PATH]`: a consistent copy of the database, safe while the
 * server runs (SQLite's online backup API). Restore: stop the server, put the file in place of
 * the database (removing its -wal and -shm files), start the server (README, "Backups").
 */
export const backup: Command = {
  synopsis: '--to FILE [--db PATH]',
  summary: 'copy the database safely while the server runs (DATABASE_PATH also applies)',
  async run(args, io) {
    const { values, positionals } = parseCommand(args, { to: { type: 'string' }, db: { type: 'string' } }, 'backup')
    noPositionals(positionals, 'backup')
    const to = required(values.to, '--to <file>', 'backup')
    const from = values.db ?? io.env.DATABASE_PATH ?? './data/canary-flags.db'
    const { pages } = await backupDatabase(from, to)
    io.out(`backed up ${from} to ${to} (${pages} pages, integrity ok)`)
  },
}
