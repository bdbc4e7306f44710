import { and, eq, or, sql } from 'drizzle-orm'
import type { EvidenceStore } from '../contract.ts'
import type { PgDb } from './db.ts'
import { guardEvidence } from './schema.ts'

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0]

/** Upserts and deletes evidence rows inside `tx` (also the guard leader's tick, cluster-store.ts). */
export async function writeEvidence(
  tx: Tx,
  save: Parameters<EvidenceStore['saveEvidence']>[0],
  remove: Parameters<EvidenceStore['saveEvidence']>[1],
): Promise<void> {
  const at = Date.now()
  if (save.length > 0)
    await tx
      .insert(guardEvidence)
      .values(save.map((s) => ({ envKey: s.envKey, flagKey: s.flagKey, evidence: s.evidence, updatedAt: at })))
      .onConflictDoUpdate({
        target: [guardEvidence.envKey, guardEvidence.flagKey],
        set: { evidence: sql`excluded.evidence`, updatedAt: sql`excluded.updated_at` },
      })
  if (remove.length > 0)
    await tx
      .delete(guardEvidence)
      .where(or(...remove.map((r) => and(eq(guardEvidence.envKey, r.envKey), eq(guardEvidence.flagKey, r.flagKey)))))
}

/** The guard's evidence on PostgreSQL: the leader writes it, every replica reads it. */
export function createPgEvidenceStore(db: PgDb): EvidenceStore {
  return {
    async saveEvidence(save, remove) {
      if (save.length === 0 && remove.length === 0) return
      await db.transaction((tx) => writeEvidence(tx, save, remove))
    },
    loadEvidence: () =>
      db.select({ envKey: guardEvidence.envKey, flagKey: guardEvidence.flagKey, evidence: guardEvidence.evidence }).from(guardEvidence),
  }
}
