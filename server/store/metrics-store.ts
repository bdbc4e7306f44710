import { and, asc, eq, gte, lt, sql } from 'drizzle-orm'
import type { MetricsStore } from './contract.ts'
import type { Db } from './db.ts'
import { batchIds, batchKey, minuteRows, minuteSums } from './decisions.ts'
import { addExcludedCount } from './shared-sql.ts'
import { metricBatches, minuteCounts } from './schema.ts'

/** Guard counts on SQLite: batch de-duplication and per-minute aggregates. */
export function createSqliteMetricsStore(db: Db): MetricsStore {
  // Every SDK batch is checked against the stored ids: built and prepared once.
  const batchById = db.select({ id: metricBatches.id }).from(metricBatches).where(eq(metricBatches.id, sql.placeholder('id'))).prepare()
  return {
    /** A primary-key read, no write. */
    async hasBatch(envKey, batchId) {
      const row = batchById.get({ id: batchKey(envKey, batchId) })
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
          tx.insert(minuteCounts)
            .values(row)
            .onConflictDoUpdate({
              target: [minuteCounts.envKey, minuteCounts.flagKey, minuteCounts.minute, minuteCounts.arm, minuteCounts.metric],
              set: addExcludedCount(minuteCounts),
            })
            .run()
      })
    },

    async series(envKey, flagKey, sinceMs) {
      return minuteRows(
        db
        .select()
        .from(minuteCounts)
        .where(and(eq(minuteCounts.envKey, envKey), eq(minuteCounts.flagKey, flagKey), gte(minuteCounts.minute, sinceMs)))
        .orderBy(asc(minuteCounts.minute))
        .all(),
      )
    },

    async prune(olderThanMs) {
      db.delete(minuteCounts).where(lt(minuteCounts.minute, olderThanMs)).run()
      db.delete(metricBatches).where(lt(metricBatches.receivedAt, olderThanMs)).run()
    },
  }
}
