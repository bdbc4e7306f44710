import { and, asc, eq, gt, lte } from 'drizzle-orm'
import type { Change } from '../../sdk/core/changes.ts'
import type { Store } from './contract.ts'
import { openDb, type Db } from './db.ts'
import { changeLog, metricBatches } from './schema.ts'
import { createSyncStore } from './store.ts'

/**
 * The SQLite implementation of the store contract: the synchronous stores (one better-sqlite3
 * transaction per mutation, as fast as they were) behind promises. better-sqlite3 runs each
 * call to completion on the event loop, so SQLite calls never interleave: a second writer with
 * the same base version always sees the first one's commit and gets its ConflictError.
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
  const sync = createSyncStore(db)

  return {
    dialect: 'sqlite',

    flags: {
      listEnvironments: async () => sync.flags.listEnvironments(),
      getEnvironment: async (envKey) => sync.flags.getEnvironment(envKey),
      createEnvironment: async (input, actor) =>
        sync.flags
          .createEnvironment(input, actor)
          .map((change) => ({ environment: input.key, change })),
      listFlags: async (page) => sync.flags.listFlags(page),
      getFlag: async (key) => sync.flags.getFlag(key),
      createFlag: async (input, actor) => sync.flags.createFlag(input, actor),
      updateFlag: async (key, patch, actor) => sync.flags.updateFlag(key, patch, actor),
      archiveFlag: async (key, actor) => sync.flags.archiveFlag(key, actor),
      getState: async (envKey, key) => sync.flags.getState(envKey, key),
      listGuarded: async () => sync.flags.listGuarded(),
      listPlanned: async () => sync.flags.listPlanned(),
      listStates: async (envKey) => sync.flags.listStates(envKey),
      pageStates: async (envKey, page) => sync.flags.pageStates(envKey, page),
      async updateState(envKey, key, options) {
        const { state, change } = sync.flags.updateState(envKey, key, options)
        return { state, committed: { environment: envKey, change } }
      },
    },

    segments: {
      list: async (envKey) => sync.segments.list(envKey),
      get: async (envKey, key) => sync.segments.get(envKey, key),
      async put(envKey, input, options) {
        const { segment, change } = sync.segments.put(envKey, input, options)
        return { segment, committed: { environment: envKey, change } }
      },
      remove: async (envKey, key, actor) => ({
        environment: envKey,
        change: sync.segments.remove(envKey, key, actor),
      }),
    },

    keys: {
      async create(input, actor) {
        // A clear 404 rather than the foreign key's constraint error (same in both dialects).
        if (input.environment !== null) sync.flags.getEnvironment(input.environment)
        return sync.keys.create(input, actor)
      },
      list: async () => sync.keys.list(),
      count: async () => sync.keys.count(),
      verify: async (secret) => sync.keys.verify(secret),
      revoke: async (id, actor) => sync.keys.revoke(id, actor),
    },

    logs: {
      audit: async (filter) => sync.logs.audit(filter),
      auditOf: async (envKey, version) => sync.logs.auditOf(envKey, version),
      async changesSince(envKey, afterVersion, upTo) {
        return db.transaction(() => {
          const current = upTo ?? sync.flags.getEnvironment(envKey).version
          const rows = db
            .select({ change: changeLog.change })
            .from(changeLog)
            .where(
              and(
                eq(changeLog.envKey, envKey),
                gt(changeLog.version, afterVersion),
                lte(changeLog.version, current),
              ),
            )
            .orderBy(asc(changeLog.version))
            .all()
          // Versions are gap-free, so the right count means every missed change is still kept.
          if (rows.length !== current - afterVersion) return undefined
          return rows.map((row) => row.change as Change)
        })
      },
    },

    metrics: {
      hasBatch: async (envKey, batchId) => sync.metrics.hasBatch(envKey, batchId),
      async acceptBatch(envKey, batchId, receivedAt) {
        const inserted = db
          .insert(metricBatches)
          .values({ id: `${envKey}:${batchId}`, envKey, receivedAt })
          .onConflictDoNothing()
          .returning({ id: metricBatches.id })
          .all()
        return inserted.length === 1
      },
      storeBatches: async (entries) => sync.metrics.storeBatches(entries),
      series: async (envKey, flagKey, sinceMs) => sync.metrics.series(envKey, flagKey, sinceMs),
      prune: async (olderThanMs) => sync.metrics.prune(olderThanMs),
    },

    snapshot: async (envKey) => sync.snapshot(envKey),

    async close() {
      opened.close()
    },
  }
}
