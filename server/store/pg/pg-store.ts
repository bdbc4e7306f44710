import type pg from 'pg'
import type { ClusterStore, Store } from '../contract.ts'
import { createPgClusterStore } from './cluster-store.ts'
import { createPgEvidenceStore } from './evidence-store.ts'
import { rulesOf } from '../rows.ts'
import { openPgDb } from './db.ts'
import { createPgFlagStore } from './flag-store.ts'
import { createPgImportStore } from './import-store.ts'
import { createPgKeyStore } from './key-store.ts'
import { createPgLogStore } from './log-store.ts'
import { createPgMetricsStore } from './metrics-store.ts'
import { createPgRequestStore } from './request-store.ts'
import { createPgPeopleStore } from './people-store.ts'
import { createPgSegmentStore } from './segment-store.ts'
import { createPgWebhookSecretStore } from './webhook-secret-store.ts'

/** The PostgreSQL store, with its pool for what only PostgreSQL offers (LISTEN/NOTIFY, advisory locks). */
export interface PgStore extends Store {
  readonly dialect: 'postgres'
  readonly pool: pg.Pool
  /** What replicas share beyond the contract (guard counts, connection lists). */
  readonly cluster: ClusterStore
  /** The connection settings, for the dedicated LISTEN and leader-lock connections. */
  readonly databaseUrl: string
}

/**
 * The PostgreSQL implementation of the store contract (`DATABASE_URL=postgres://…`). Connects a
 * pool, applies pending migrations (`migrations/pg`, one replica at a time) and resolves when
 * the store is ready. Several processes may share one database: versions stay gap-free and
 * every unit of work is one transaction.
 *
 * @example
 * const store = await createPgStore(process.env.DATABASE_URL!)
 * const snapshot = await store.snapshot('production')
 * await store.close()
 */
export async function createPgStore(
  databaseUrl: string,
  options: { maxConnections?: number; log?: (message: string, error?: unknown) => void } = {},
): Promise<PgStore> {
  const { db, pool, close } = await openPgDb(databaseUrl, {
    ...(options.maxConnections !== undefined && { max: options.maxConnections }),
    ...(options.log && { log: options.log }),
  })
  const flags = createPgFlagStore(db)
  const segments = createPgSegmentStore(db)
  return {
    dialect: 'postgres',
    pool,
    databaseUrl,
    cluster: createPgClusterStore(db, pool),
    flags,
    segments,
    imports: createPgImportStore(db),
    keys: createPgKeyStore(db),
    people: createPgPeopleStore(db),
    logs: createPgLogStore(db),
    metrics: createPgMetricsStore(db),
    evidence: createPgEvidenceStore(db),
    webhookSecrets: createPgWebhookSecretStore(db),
    requests: createPgRequestStore(db),
    async snapshot(envKey) {
      // One repeatable-read snapshot: the version, the flags and the segments of one moment.
      const { version, states, list } = await db.transaction(
        async (tx) => {
          const txFlags = createPgFlagStore(tx)
          const env = await txFlags.getEnvironment(envKey)
          return {
            version: env.version,
            states: await txFlags.listStates(envKey),
            list: await createPgSegmentStore(tx).list(envKey),
          }
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      )
      return { environment: envKey, version, flags: states.map(rulesOf), segments: list }
    },
    close,
  }
}
