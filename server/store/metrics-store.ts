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
  // A group commit writes one id per batch and one row per minute counter: built and prepared
  // once too (building each with drizzle cost more than the rest of a batch's intake).
  const insertBatchId = db
    .insert(metricBatches)
    .values({ id: sql.placeholder('id'), envKey: sql.placeholder('envKey'), receivedAt: sql.placeholder('receivedAt') })
    .onConflictDoNothing()
    .prepare()
  const addMinuteCount = db
    .insert(minuteCounts)
    .values({
      envKey: sql.placeholder('envKey'),
      flagKey: sql.placeholder('flagKey'),
      minute: sql.placeholder('minute'),
      arm: sql.placeholder('arm'),
      metric: sql.placeholder('metric'),
      count: sql.placeholder('count'),
    })
    .onConflictDoUpdate({
      target: [minuteCounts.envKey, minuteCounts.flagKey, minuteCounts.minute, minuteCounts.arm, minuteCounts.metric],
      set: addExcludedCount(minuteCounts),
    })
    .prepare()
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
      db.transaction(() => {
        for (const id of batchIds(entries)) insertBatchId.run(id)
        for (const row of minuteSums(entries)) addMinuteCount.run({ ...row })
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
