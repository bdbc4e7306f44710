import { and, asc, eq, gte, lt, sql } from 'drizzle-orm'
import type { MetricsBatch } from '../../sdk/core/protocol.ts'
import type { Db } from './db.ts'
import { metricBatches, metricsMinute } from './schema.ts'

export type MinuteRow = typeof metricsMinute.$inferSelect

const MINUTE = 60_000

/** Guard counts: batch de-duplication and per-minute aggregates. */
export function createMetricsStore(db: Db) {
  return {
    /** Whether a batch id (per environment) was already stored. A primary-key read, no write. */
    hasBatch(envKey: string, batchId: string): boolean {
      return db.select({ id: metricBatches.id }).from(metricBatches).where(eq(metricBatches.id, `${envKey}:${batchId}`)).get() !== undefined
    },

    /**
     * Stores accepted batches in one transaction: their ids (so a resend after a restart is
     * still recognised) and their counts added to the per-minute aggregates. Batches are grouped
     * by the caller so one fsync covers many of them.
     */
    storeBatches(entries: Array<{ envKey: string; batch: MetricsBatch; receivedAt: number }>): void {
      if (entries.length === 0) return
      db.transaction((tx) => {
        for (const { envKey, batch, receivedAt } of entries) {
          tx.insert(metricBatches).values({ id: `${envKey}:${batch.id}`, envKey, receivedAt }).onConflictDoNothing().run()
          const minute = Math.floor(receivedAt / MINUTE) * MINUTE
          for (const [flagKey, [ce, cx, ke, kx]] of Object.entries(batch.flags)) {
            tx.insert(metricsMinute)
              .values({ envKey, flagKey, minute, canaryExposures: ce, canaryErrors: cx, controlExposures: ke, controlErrors: kx })
              .onConflictDoUpdate({
                target: [metricsMinute.envKey, metricsMinute.flagKey, metricsMinute.minute],
                set: {
                  canaryExposures: sql`${metricsMinute.canaryExposures} + ${ce}`,
                  canaryErrors: sql`${metricsMinute.canaryErrors} + ${cx}`,
                  controlExposures: sql`${metricsMinute.controlExposures} + ${ke}`,
                  controlErrors: sql`${metricsMinute.controlErrors} + ${kx}`,
                },
              })
              .run()
          }
        }
      })
    },

    /** Per-minute rows of one flag since `sinceMs`, oldest first. */
    series(envKey: string, flagKey: string, sinceMs: number): MinuteRow[] {
      return db
        .select()
        .from(metricsMinute)
        .where(and(eq(metricsMinute.envKey, envKey), eq(metricsMinute.flagKey, flagKey), gte(metricsMinute.minute, sinceMs)))
        .orderBy(asc(metricsMinute.minute))
        .all()
    },

    /** Drops aggregates and batch ids older than the retention limit. */
    prune(olderThanMs: number): void {
      db.delete(metricsMinute).where(lt(metricsMinute.minute, olderThanMs)).run()
      db.delete(metricBatches).where(lt(metricBatches.receivedAt, olderThanMs)).run()
    },
  }
}

export type MetricsStore = ReturnType<typeof createMetricsStore>
