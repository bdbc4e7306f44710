import { and, asc, desc, eq, gt, lt, type SQL } from 'drizzle-orm'
import type { Change } from '../../sdk/core/changes.ts'
import type { Db } from './db.ts'
import { auditLog, changeLog } from './schema.ts'

export type AuditRow = typeof auditLog.$inferSelect

/** Reads of the append-only logs: the audit log (people) and the change log (SDKs). */
export function createLogStore(db: Db) {
  return {
    /** Newest first; `before` is the id cursor of the previous page's last row. */
    audit(filter: { flag?: string; env?: string; before?: number; limit: number }): AuditRow[] {
      const where: SQL[] = []
      if (filter.flag) where.push(eq(auditLog.flagKey, filter.flag))
      if (filter.env) where.push(eq(auditLog.envKey, filter.env))
      if (filter.before) where.push(lt(auditLog.id, filter.before))
      return db
        .select()
        .from(auditLog)
        .where(and(...where))
        .orderBy(desc(auditLog.id))
        .limit(filter.limit)
        .all()
    },

    /** Who made the change that produced `version` of an environment, for logs and metrics. */
    auditOf(envKey: string, version: number): Pick<AuditRow, 'actor' | 'action' | 'flagKey'> | undefined {
      return db
        .select({ actor: auditLog.actor, action: auditLog.action, flagKey: auditLog.flagKey })
        .from(auditLog)
        .where(and(eq(auditLog.envKey, envKey), eq(auditLog.version, version)))
        // Newest first along the (env_key, id) index: the row was written moments ago.
        .orderBy(desc(auditLog.id))
        .limit(1)
        .get()
    },

    /**
     * The changes after `version`, in order, or undefined when some of them are no longer kept
     * (the SDK then needs a snapshot).
     */
    changesSince(envKey: string, version: number, current: number): Change[] | undefined {
      const rows = db
        .select()
        .from(changeLog)
        .where(and(eq(changeLog.envKey, envKey), gt(changeLog.version, version)))
        .orderBy(asc(changeLog.version))
        .all()
      if (rows.length !== current - version) return undefined
      return rows.map((row) => row.change as Change)
    },
  }
}

export type LogStore = ReturnType<typeof createLogStore>
