import { and, asc, desc, eq, gt, lt, lte } from 'drizzle-orm'
import { auditWhere } from './shared-sql.ts'
import { toChange } from './rows.ts'
import type { LogStore } from './contract.ts'
import type { Db } from './db.ts'
import { readEnvironment } from './flag-store.ts'
import { auditLog, changeLog } from './schema.ts'

/** Reads of the append-only logs on SQLite: the audit log (people) and the change log (SDKs). */
export function createSqliteLogStore(db: Db): LogStore {
  return {
    async audit(filter) {
      return db
        .select()
        .from(auditLog)
        .where(auditWhere(auditLog, filter))
        .orderBy(desc(auditLog.id))
        .limit(filter.limit)
        .all()
    },

    async auditOf(envKey, version) {
      return db
        .select({ actor: auditLog.actor, action: auditLog.action, flagKey: auditLog.flagKey })
        .from(auditLog)
        .where(and(eq(auditLog.envKey, envKey), eq(auditLog.version, version)))
        // Newest first along the (env_key, id) index: the row was written moments ago.
        .orderBy(desc(auditLog.id))
        .limit(1)
        .get()
    },

    async pruneAudit(olderThanMs) {
      return db.delete(auditLog).where(lt(auditLog.at, olderThanMs)).run().changes
    },

    async changesSince(envKey, afterVersion, upTo) {
      return db.transaction((tx) => {
        const current = upTo ?? readEnvironment(tx, envKey).version
        const rows = tx
          .select({ version: changeLog.version, change: changeLog.change })
          .from(changeLog)
          .where(and(eq(changeLog.envKey, envKey), gt(changeLog.version, afterVersion), lte(changeLog.version, current)))
          .orderBy(asc(changeLog.version))
          .all()
        // Versions are gap-free, so the right count means every missed change is still kept.
        if (rows.length !== current - afterVersion) return undefined
        return rows.map((row) => toChange(envKey, row))
      })
    },
  }
}
