import { and, asc, eq, gte, lt, sql } from 'drizzle-orm'
import type { MetricsBatch } from '../../sdk/core/protocol.ts'
import type { Db } from './db.ts'
import { metricBatches, metricsMinute } from './schema.ts'

export type MinuteRow = typeof metricsMinute.$inferSelect

const MINUTE = 60_000

/** Guard counts: batch de-duplication and per-minute aggregates. */
export function createMetricsStore(db: Db) {
  return {
    /**
     * Records a batch once: returns false (and changes nothing) when its id was seen before.
     * The id and the minute aggregates commit together, so a crash cannot half-count a batch.
     */
    ingest(envKey: string, batch: MetricsBatch, nowMs: number): boolean {
      return db.transaction((tx) => {
        const inserted = tx
          .insert(metricBatches)
          .values({ id: `${envKey}:${batch.id}`, envKey, receivedAt: nowMs })
          .onConflictDoNothing()
          .returning({ id: metricBatches.id })
          .all()
        if (inserted.length === 0) return false
        const minute = Math.floor(nowMs / MINUTE) * MINUTE
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
        return true
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
