import { and, asc, eq, gte, lt } from 'drizzle-orm'
import type { MetricsStore } from '../contract.ts'
import { batchKey, minuteRows } from '../decisions.ts'
import { addExcludedCount } from '../shared-sql.ts'
import type { PgDb } from './db.ts'
import { metricBatches, minuteCounts } from './schema.ts'

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
        .where(eq(metricBatches.id, batchKey(envKey, batchId)))
      return rows.length > 0
    },

    async acceptBatch(envKey, batchId, receivedAt) {
      // The primary key decides: of concurrent claims from any replica, one inserts the row.
      const inserted = await db
        .insert(metricBatches)
        .values({ id: batchKey(envKey, batchId), envKey, receivedAt })
        .onConflictDoNothing()
        .returning({ id: metricBatches.id })
      return inserted.length === 1
    },

    async storeBatches({ ids, counts: sums }) {
      if (ids.length === 0 && sums.length === 0) return
      // Sorted (see BatchGroup): replicas adding to the same rows queue instead of deadlocking.
      await db.transaction(async (tx) => {
        for (const chunk of chunks(ids))
          await tx.insert(metricBatches).values(chunk).onConflictDoNothing()
        for (const chunk of chunks(sums))
          await tx
            .insert(minuteCounts)
            .values(chunk)
            .onConflictDoUpdate({
              target: [minuteCounts.envKey, minuteCounts.flagKey, minuteCounts.minute, minuteCounts.arm, minuteCounts.metric],
              set: addExcludedCount(minuteCounts),
            })
      })
    },

    series: async (envKey, flagKey, sinceMs) =>
      minuteRows(
        await db
        .select()
        .from(minuteCounts)
        .where(
          and(
            eq(minuteCounts.envKey, envKey),
            eq(minuteCounts.flagKey, flagKey),
            gte(minuteCounts.minute, sinceMs),
          ),
        )
        .orderBy(asc(minuteCounts.minute)),
      ),

    async prune(olderThanMs) {
      await db.delete(minuteCounts).where(lt(minuteCounts.minute, olderThanMs))
      await db.delete(metricBatches).where(lt(metricBatches.receivedAt, olderThanMs))
    },
  }
}
