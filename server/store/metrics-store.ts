import { and, asc, eq, getTableName, gte, lt } from 'drizzle-orm'
import type { BatchIdRow, MetricsStore, MinuteCount } from './contract.ts'
import type { Db } from './db.ts'
import { batchKey, minuteRows } from './decisions.ts'
import { metricBatches, minuteCounts } from './schema.ts'

/** Batch ids per INSERT of a group commit (3 parameters each, far under SQLite's limit). */
const IDS_PER_INSERT = 128

/**
 * Guard counts on SQLite: batch de-duplication and per-minute aggregates. The statements of the
 * metrics intake (one read per SDK batch, a group commit every flush) are better-sqlite3
 * statements prepared once from the schema's names: through drizzle's prepared queries, mapping
 * placeholders cost more than SQLite's own work on a primary-key read or insert.
 */
export function createSqliteMetricsStore(db: Db): MetricsStore {
  const sqlite = db.$client
  const batches = { table: getTableName(metricBatches), id: metricBatches.id.name, envKey: metricBatches.envKey.name, receivedAt: metricBatches.receivedAt.name }
  const counts = minuteCounts
  const batchById = sqlite.prepare(`SELECT 1 FROM "${batches.table}" WHERE "${batches.id}" = ?`).pluck()
  const insertIds = (rows: number) =>
    sqlite.prepare(
      `INSERT INTO "${batches.table}" ("${batches.id}", "${batches.envKey}", "${batches.receivedAt}") VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
    )
  const insertIdChunk = insertIds(IDS_PER_INSERT)
  const insertOneId = insertIds(1)
  const key = [counts.envKey, counts.flagKey, counts.minute, counts.arm, counts.metric].map((c) => `"${c.name}"`).join(', ')
  const addMinuteCount = sqlite.prepare(
    `INSERT INTO "${getTableName(counts)}" (${key}, "${counts.count.name}") VALUES (?, ?, ?, ?, ?, ?) ` +
      `ON CONFLICT (${key}) DO UPDATE SET "${counts.count.name}" = "${counts.count.name}" + excluded."${counts.count.name}"`,
  )
  const params: unknown[] = new Array(3 * IDS_PER_INSERT)
  const storeIds = (ids: readonly BatchIdRow[]) => {
    let i = 0
    for (; i + IDS_PER_INSERT <= ids.length; i += IDS_PER_INSERT) {
      for (let j = 0; j < IDS_PER_INSERT; j++) {
        const row = ids[i + j]!
        params[3 * j] = row.id
        params[3 * j + 1] = row.envKey
        params[3 * j + 2] = row.receivedAt
      }
      insertIdChunk.run(params)
    }
    for (; i < ids.length; i++) insertOneId.run(ids[i]!.id, ids[i]!.envKey, ids[i]!.receivedAt)
  }
  const storeCounts = (rows: readonly MinuteCount[]) => {
    for (const r of rows) addMinuteCount.run(r.envKey, r.flagKey, r.minute, r.arm, r.metric, r.count)
  }
  const storeGroup = sqlite.transaction((ids: readonly BatchIdRow[], rows: readonly MinuteCount[]) => {
    storeIds(ids)
    storeCounts(rows)
  })
  return {
    /** A primary-key read, no write. */
    async hasBatch(envKey, batchId) {
      return batchById.get(batchKey(envKey, batchId)) !== undefined
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
     * still recognised, and the batches' per-minute sums added to the aggregates.
     */
    async storeBatches({ ids, counts: rows }) {
      if (ids.length === 0 && rows.length === 0) return
      storeGroup(ids, rows)
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
