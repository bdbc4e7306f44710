import type { Snapshot } from '../../sdk/core/changes.ts'
import type { Db } from './db.ts'
import { createFlagStore, rulesOf } from './flag-store.ts'
import { createKeyStore } from './key-store.ts'
import { createLogStore } from './log-store.ts'
import { createMetricsStore } from './metrics-store.ts'
import { createSegmentStore } from './segment-store.ts'

/**
 * All SQL lives behind this object: services and routes never see drizzle. A PostgreSQL store
 * can be added beside it by implementing the same `Store` type.
 */
function createSyncStore(db: Db) {
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

type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : Async<T[K]>
}

/** The store as its callers see it: every method async, so a store over a network database fits. */
export type Store = Async<ReturnType<typeof createSyncStore>>

function asyncOf<T extends object>(sync: T): Async<T> {
  return Object.fromEntries(
    Object.entries(sync).map(([name, member]) => [
      name,
      typeof member === 'function' ? async (...args: unknown[]) => (member as (...a: unknown[]) => unknown)(...args) : asyncOf(member as object),
    ]),
  ) as Async<T>
}

/** All SQL lives behind this object: services and routes never see drizzle. */
export function createStore(db: Db): Store {
  return asyncOf(createSyncStore(db))
}
