import { and, eq, sql } from 'drizzle-orm'
import type { EvidenceStore } from './contract.ts'
import type { Db } from './db.ts'
import { guardEvidence } from './schema.ts'

/**
 * The guard's evidence on SQLite: one transaction per save (one fsync a second, whatever the
 * number of guarded flags), so a `kill -9` finds the previous save whole.
 */
export function createSqliteEvidenceStore(db: Db): EvidenceStore {
  return {
    async saveEvidence(save, remove) {
      if (save.length === 0 && remove.length === 0) return
      const at = Date.now()
      db.transaction((tx) => {
        for (const s of save)
          tx.insert(guardEvidence)
            .values({ envKey: s.envKey, flagKey: s.flagKey, evidence: s.evidence, updatedAt: at })
            .onConflictDoUpdate({
              target: [guardEvidence.envKey, guardEvidence.flagKey],
              set: { evidence: sql`excluded.evidence`, updatedAt: sql`excluded.updated_at` },
            })
            .run()
        for (const r of remove) tx.delete(guardEvidence).where(and(eq(guardEvidence.envKey, r.envKey), eq(guardEvidence.flagKey, r.flagKey))).run()
      })
    },
    async loadEvidence() {
      return db.select({ envKey: guardEvidence.envKey, flagKey: guardEvidence.flagKey, evidence: guardEvidence.evidence }).from(guardEvidence).all()
    },
  }
}
