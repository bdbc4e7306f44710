import { and, asc, desc, eq, gt, lt, lte } from 'drizzle-orm'
import { auditWhere } from '../shared-sql.ts'
import { toChange } from '../rows.ts'
import type { LogStore } from '../contract.ts'
import { found, missing } from '../decisions.ts'
import type { PgDb } from './db.ts'
import { auditLog, changeLog, environments } from './schema.ts'

/** Reads of the audit log and the change log on PostgreSQL. */
export function createPgLogStore(db: PgDb): LogStore {
  return {
    audit(filter) {
      return db
        .select()
        .from(auditLog)
        .where(auditWhere(auditLog, filter))
        .orderBy(desc(auditLog.id))
        .limit(filter.limit)
    },

    async pruneAudit(olderThanMs) {
      const deleted = await db.delete(auditLog).where(lt(auditLog.at, olderThanMs)).returning({ id: auditLog.id })
      return deleted.length
    },

    async auditOf(envKey, version) {
      const [row] = await db
        .select({ actor: auditLog.actor, action: auditLog.action, flagKey: auditLog.flagKey })
        .from(auditLog)
        .where(and(eq(auditLog.envKey, envKey), eq(auditLog.version, version)))
        // Newest first along the (env_key, id) index: the row was written moments ago.
        .orderBy(desc(auditLog.id))
        .limit(1)
      return row
    },

    changesSince: (envKey, afterVersion, upTo) =>
      // One snapshot for the version and the rows. Versions commit in order (the bump's row lock
      // is held to commit), so a snapshot that sees version n also sees every version before it.
      db.transaction(
        async (tx) => {
          let current = upTo
          if (current === undefined) {
            const [env] = await tx
              .select({ version: environments.version })
              .from(environments)
              .where(eq(environments.key, envKey))
            current = found(env, () => missing.environment(envKey)).version
          }
          const rows = await tx
            .select({ version: changeLog.version, change: changeLog.change })
            .from(changeLog)
            .where(
              and(
                eq(changeLog.envKey, envKey),
                gt(changeLog.version, afterVersion),
                lte(changeLog.version, current),
              ),
            )
            .orderBy(asc(changeLog.version))
          // Versions are gap-free, so the right count means every missed change is still kept.
          if (rows.length !== current - afterVersion) return undefined
          return rows.map((row) => toChange(envKey, row))
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      ),
  }
}
