import { and, eq, lt, sql } from 'drizzle-orm'
import type { EnvChange } from './contract.ts'
import type { Db } from './db.ts'
import { auditRow, CHANGE_LOG_KEEP, missing, type AuditEntry, type Decided } from './decisions.ts'
import { auditLog, changeLog, environments } from './schema.ts'

export { CHANGE_LOG_KEEP } from './decisions.ts'

/** Drizzle's transaction handle for better-sqlite3 (same query API as the database). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Inside the caller's transaction: the environment's next version, claimed for one change. */
export function bumpVersion(tx: Tx, envKey: string): number {
  const bumped = tx
    .update(environments)
    .set({ version: sql`${environments.version} + 1` })
    .where(eq(environments.key, envKey))
    .returning({ version: environments.version })
    .get()
  if (!bumped) throw missing.environment(envKey)
  return bumped.version
}

/**
 * Inside the caller's transaction (after `bumpVersion` and the write itself): append the change
 * to the change log and write its audit row, so a change, its audit entry and its version
 * commit together or not at all.
 */
export function recordEnvChange(tx: Tx, envKey: string, { change, audit }: Decided): EnvChange {
  tx.insert(changeLog).values({ envKey, version: change.version, change }).run()
  tx.delete(changeLog)
    .where(and(eq(changeLog.envKey, envKey), lt(changeLog.version, change.version - CHANGE_LOG_KEEP)))
    .run()
  recordAudit(tx, { ...audit, envKey }, change.version)
  return { environment: envKey, change }
}

/** An audit row for a change that does not touch an environment's rules (keys, descriptions). */
export function recordAudit(tx: Tx, entry: AuditEntry, version: number | null = null): void {
  tx.insert(auditLog).values(auditRow(entry, version)).run()
}
