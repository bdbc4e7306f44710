import { gte, inArray, sql } from 'drizzle-orm'
import type pg from 'pg'
import { fromFlatCounts, toFlatCounts } from '../../../sdk/core/metrics.ts'
import type { ClusterStore, SharedCounts } from '../contract.ts'
import type { PgDb } from './db.ts'
import { writeEvidence } from './evidence-store.ts'
import { guardCounts, replicaConnections } from './schema.ts'

type CountRow = typeof guardCounts.$inferSelect

const toShared = (r: CountRow): SharedCounts => ({
  envKey: r.envKey,
  flagKey: r.flagKey,
  source: r.source,
  at: r.at,
  counts: fromFlatCounts(r),
})

/** The session lock of `exclusively` (start-up bootstrap); any constant of our own. */
const STARTUP_LOCK = 7_236_145_904

/** What replicas share on PostgreSQL: guard counts (the leader's tick also writes the evidence), connection lists, a start-up lock. */
export function createPgClusterStore(db: PgDb, pool: pg.Pool): ClusterStore {
  return {
    async exclusively(work) {
      // The lock lives on one pooled connection for the duration; `work` uses the others.
      const client = await pool.connect()
      try {
        await client.query('select pg_advisory_lock($1)', [STARTUP_LOCK])
        try {
          return await work()
        } finally {
          await client.query('select pg_advisory_unlock($1)', [STARTUP_LOCK])
        }
      } finally {
        client.release()
      }
    },

    async appendCounts(rows) {
      if (rows.length === 0) return
      await db.insert(guardCounts).values(
        rows.map((r) => ({
          envKey: r.envKey,
          flagKey: r.flagKey,
          source: r.source,
          at: r.at,
          // The queue's columns are the counters' flat names (canary_exposures, …).
          ...toFlatCounts(r.counts),
        })),
      )
    },

    async consumeCounts() {
      // One statement: a row committed meanwhile is simply left for the next call.
      const rows = await db.delete(guardCounts).returning()
      return rows.sort((a, b) => a.id - b.id).map(toShared)
    },

    async consumeAndSave(decide) {
      await db.transaction(async (tx) => {
        const rows = await tx.delete(guardCounts).returning()
        const { save, remove } = decide(rows.sort((a, b) => a.id - b.id).map(toShared))
        await writeEvidence(tx, save, remove)
      })
    },

    async publishConnections(replicaId, connections, at) {
      await db
        .insert(replicaConnections)
        .values({ replicaId, connections, heartbeatAt: at })
        .onConflictDoUpdate({
          target: replicaConnections.replicaId,
          set: { connections: sql`excluded.connections`, heartbeatAt: sql`excluded.heartbeat_at` },
        })
    },

    connections: (since) =>
      db.select().from(replicaConnections).where(gte(replicaConnections.heartbeatAt, since)),

    async forgetReplica(replicaId) {
      await db.delete(replicaConnections).where(inArray(replicaConnections.replicaId, [replicaId]))
    },
  }
}
