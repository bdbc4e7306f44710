import { and, asc, eq, gte, lt } from 'drizzle-orm'
import type { MetricsStore } from './contract.ts'
import type { Db } from './db.ts'
import { batchIds, batchKey, minuteSums } from './decisions.ts'
import { addExcludedCounts } from './shared-sql.ts'
import { metricBatches, metricsMinute } from './schema.ts'

/** Guard counts on SQLite: batch de-duplication and per-minute aggregates. */
export function createSqliteMetricsStore(db: Db): MetricsStore {
  return {
    /** A primary-key read, no write. */
    async hasBatch(envKey, batchId) {
      const row = db.select({ id: metricBatches.id }).from(metricBatches).where(eq(metricBatches.id, batchKey(envKey, batchId))).get()
      return row !== undefined
    },

    async acceptBatch(envKey, batchId, receivedAt) {
      const inserted = db
        .insert(metricBatches)
        .values({ id: batchKey(envKey, batchId), envKey, receivedAt })
        .onConflictDoNothing()
        .returning({ id: metricBatches.id })
        .all()
      return inserted.length === 1
    },

    /**
     * One transaction (one fsync for many batches): the ids, so a resend after a restart is
     * still recognised, and the batches' per-minute sums (`minuteSums`) added to the aggregates.
     */
    async storeBatches(entries) {
      if (entries.length === 0) return
      db.transaction((tx) => {
        for (const id of batchIds(entries)) tx.insert(metricBatches).values(id).onConflictDoNothing().run()
        for (const row of minuteSums(entries))
          tx.insert(metricsMinute)
            .values(row)
            .onConflictDoUpdate({
              target: [metricsMinute.envKey, metricsMinute.flagKey, metricsMinute.minute],
              set: addExcludedCounts(metricsMinute),
            })
            .run()
      })
    },

    async series(envKey, flagKey, sinceMs) {
      return db
        .select()
        .from(metricsMinute)
        .where(and(eq(metricsMinute.envKey, envKey), eq(metricsMinute.flagKey, flagKey), gte(metricsMinute.minute, sinceMs)))
        .orderBy(asc(metricsMinute.minute))
        .all()
    },

    async prune(olderThanMs) {
      db.delete(metricsMinute).where(lt(metricsMinute.minute, olderThanMs)).run()
      db.delete(metricBatches).where(lt(metricBatches.receivedAt, olderThanMs)).run()
    },
  }
}
