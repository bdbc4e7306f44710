import { and, asc, eq, gte, lt, sql } from 'drizzle-orm'
import type { MetricsStore, StoredBatch } from '../contract.ts'
import type { PgDb } from './db.ts'
import { metricBatches, metricsMinute } from './schema.ts'

const MINUTE = 60_000

type MinuteSums = typeof metricsMinute.$inferInsert & {
  [K in 'canaryExposures' | 'canaryErrors' | 'controlExposures' | 'controlErrors']: number
}

/**
 * The per-minute sums of a group of batches, one row per (environment, flag, minute), sorted:
 * one upsert may not touch a row twice, and replicas adding to the same rows in the same order
 * queue behind each other instead of deadlocking.
 */
function minuteSums(entries: StoredBatch[]): MinuteSums[] {
  const sums = new Map<string, MinuteSums>()
  for (const { envKey, batch, receivedAt } of entries) {
    const minute = Math.floor(receivedAt / MINUTE) * MINUTE
    for (const [flagKey, [ce, cx, ke, kx]] of Object.entries(batch.flags)) {
      const id = JSON.stringify([envKey, flagKey, minute])
      const row = sums.get(id) ?? {
        envKey,
        flagKey,
        minute,
        canaryExposures: 0,
        canaryErrors: 0,
        controlExposures: 0,
        controlErrors: 0,
      }
      row.canaryExposures += ce
      row.canaryErrors += cx
      row.controlExposures += ke
      row.controlErrors += kx
      sums.set(id, row)
    }
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row)
}

/** Rows per statement: well under PostgreSQL's 65,535 parameters per query. */
const CHUNK = 1000

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK))
  return out
}

/** Guard counts on PostgreSQL, shared by every replica. */
export function createPgMetricsStore(db: PgDb): MetricsStore {
  return {
    async hasBatch(envKey, batchId) {
      const rows = await db
        .select({ id: metricBatches.id })
        .from(metricBatches)
        .where(eq(metricBatches.id, `${envKey}:${batchId}`))
      return rows.length > 0
    },

    async acceptBatch(envKey, batchId, receivedAt) {
      // The primary key decides: of concurrent claims from any replica, one inserts the row.
      const inserted = await db
        .insert(metricBatches)
        .values({ id: `${envKey}:${batchId}`, envKey, receivedAt })
        .onConflictDoNothing()
        .returning({ id: metricBatches.id })
      return inserted.length === 1
    },

    async storeBatches(entries) {
      if (entries.length === 0) return
      const ids = [...new Map(entries.map((e) => [`${e.envKey}:${e.batch.id}`, e])).entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, e]) => ({ id, envKey: e.envKey, receivedAt: e.receivedAt }))
      const sums = minuteSums(entries)
      await db.transaction(async (tx) => {
        for (const chunk of chunks(ids))
          await tx.insert(metricBatches).values(chunk).onConflictDoNothing()
        for (const chunk of chunks(sums))
          await tx
            .insert(metricsMinute)
            .values(chunk)
            .onConflictDoUpdate({
              target: [metricsMinute.envKey, metricsMinute.flagKey, metricsMinute.minute],
              set: {
                canaryExposures: sql`${metricsMinute.canaryExposures} + excluded.canary_exposures`,
                canaryErrors: sql`${metricsMinute.canaryErrors} + excluded.canary_errors`,
                controlExposures: sql`${metricsMinute.controlExposures} + excluded.control_exposures`,
                controlErrors: sql`${metricsMinute.controlErrors} + excluded.control_errors`,
              },
            })
      })
    },

    series: (envKey, flagKey, sinceMs) =>
      db
        .select()
        .from(metricsMinute)
        .where(
          and(
            eq(metricsMinute.envKey, envKey),
            eq(metricsMinute.flagKey, flagKey),
            gte(metricsMinute.minute, sinceMs),
          ),
        )
        .orderBy(asc(metricsMinute.minute)),

    async prune(olderThanMs) {
      await db.delete(metricsMinute).where(lt(metricsMinute.minute, olderThanMs))
      await db.delete(metricBatches).where(lt(metricBatches.receivedAt, olderThanMs))
    },
  }
}
