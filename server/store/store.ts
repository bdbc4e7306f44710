import type { Snapshot } from '../../sdk/core/changes.ts'
import type { Db } from './db.ts'
import { createFlagStore, rulesOf } from './flag-store.ts'
import { createKeyStore } from './key-store.ts'
import { createLogStore } from './log-store.ts'
import { createMetricsStore } from './metrics-store.ts'
import { createSegmentStore } from './segment-store.ts'

/**
 * The synchronous SQLite stores in one object: what `createSqliteStore` puts behind the async
 * contract, and what offline tools and benchmarks that own the file may use directly.
 */
export function createSyncStore(db: Db) {
  const flags = createFlagStore(db)
  const segments = createSegmentStore(db)
  return {
    flags,
    segments,
    keys: createKeyStore(db),
    logs: createLogStore(db),
    metrics: createMetricsStore(db),
    /** A consistent view of one environment's rules (one read transaction). */
    snapshot(envKey: string): Snapshot {
      return db.transaction(() => {
        const env = flags.getEnvironment(envKey)
        return {
          environment: envKey,
          version: env.version,
          flags: flags.listStates(envKey).map(rulesOf),
          segments: segments.list(envKey),
        }
      })
    },
  }
}

export type SyncStore = ReturnType<typeof createSyncStore>

/** The storage contract every caller depends on (see contract.ts). */
export type { Store } from './contract.ts'
