import type { Store } from './contract.ts'
import { openDb, type Db } from './db.ts'
import { createSqliteEvidenceStore } from './evidence-store.ts'
import { createSqliteFlagStore, readEnvironment, readStates } from './flag-store.ts'
import { createSqliteImportStore } from './import-store.ts'
import { createSqliteKeyStore } from './key-store.ts'
import { createSqliteLogStore } from './log-store.ts'
import { createSqliteMetricsStore } from './metrics-store.ts'
import { createSqlitePeopleStore } from './people-store.ts'
import { rulesOf } from './rows.ts'
import { createSqliteRequestStore } from './request-store.ts'
import { createSqliteSegmentStore, readSegments } from './segment-store.ts'
import { createSqliteWebhookSecretStore } from './webhook-secret-store.ts'

/**
 * The SQLite implementation of the store contract: one better-sqlite3 transaction per
 * mutation. better-sqlite3 runs each call to completion on the event loop and no method awaits
 * before its work is done, so SQLite calls never interleave: a second writer with the same base
 * version always sees the first one's commit and gets its ConflictError. (It also means a
 * method's work is done when it returns, before its promise is awaited: an offline tool may
 * call several inside one `sqlite.transaction` and await them after.)
 *
 * Pass a path (the store opens, migrates and closes the file) or an open drizzle database
 * (the caller keeps ownership; `close()` then leaves it open).
 *
 * @example
 * const store = createSqliteStore(':memory:')
 * const input = { key: 'checkout-v2', description: '', tags: [], clientSide: false }
 * const changes = await store.flags.createFlag(input, 'alice')
 * for (const { environment, change } of changes) hub.publish(environment, change)
 */
export function createSqliteStore(source: string | Db): Store {
  const opened = typeof source === 'string' ? openDb(source) : { db: source, close: () => {} }
  const db = opened.db
  return {
    dialect: 'sqlite',
    flags: createSqliteFlagStore(db),
    segments: createSqliteSegmentStore(db),
    imports: createSqliteImportStore(db),
    keys: createSqliteKeyStore(db),
    people: createSqlitePeopleStore(db),
    logs: createSqliteLogStore(db),
    metrics: createSqliteMetricsStore(db),
    evidence: createSqliteEvidenceStore(db),
    webhookSecrets: createSqliteWebhookSecretStore(db),
    requests: createSqliteRequestStore(db),

    async snapshot(envKey) {
      // One read transaction: the version, the flags and the segments of one moment.
      return db.transaction((tx) => ({
        environment: envKey,
        version: readEnvironment(tx, envKey).version,
        flags: readStates(tx, envKey).map(rulesOf),
        segments: readSegments(tx, envKey),
      }))
    },

    async close() {
      opened.close()
    },
  }
}
