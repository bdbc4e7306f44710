import { eq, sql } from 'drizzle-orm'
import * as shapes from '../../../api-shapes/changes.ts'
import type { Change } from '../../../sdk/core/changes.ts'
import { ConflictError } from '../../errors.ts'
import type { EnvChange } from '../contract.ts'
import { auditRow, CHANGE_LOG_KEEP, missing, type AuditEntry, type Decided } from '../decisions.ts'
import type { PgTx } from './db.ts'
import { auditLog, changeLog, environments } from './schema.ts'

/**
 * Inside the caller's transaction: the environment's next version, claimed for one change.
 * The UPDATE locks the environment's row until commit, so writers of one environment queue
 * here and versions come out gap-free and committed in order (a rollback frees the number).
 */
export async function bumpVersion(tx: PgTx, envKey: string): Promise<number> {
  const [bumped] = await tx
    .update(environments)
    .set({ version: sql`${environments.version} + 1` })
    .where(eq(environments.key, envKey))
    .returning({ version: environments.version })
  if (!bumped) throw missing.environment(envKey)
  return bumped.version
}

/** A jsonb parameter: SQL NULL for null/undefined, as drizzle's jsonb columns write them. */
const jsonb = (value: unknown) =>
  value === undefined || value === null ? null : JSON.stringify(value)

/** The NOTIFY channel on which every committed change is announced to the replicas. */
export const CHANGES_CHANNEL = 'canary_changes'

/** PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more; keep clear of it. */
const MAX_PAYLOAD_BYTES = 7900

/**
 * The payload of one announcement: `<environment>:<version>:<change as JSON>`, or just
 * `<environment>:<version>` when the change is too big for a NOTIFY payload (replicas then
 * read it from the change log). Environment keys hold no colon.
 */
export function announcement(envKey: string, change: Change): string {
  const full = `${envKey}:${change.version}:${JSON.stringify(change)}`
  return Buffer.byteLength(full) < MAX_PAYLOAD_BYTES ? full : `${envKey}:${change.version}`
}

/** Reads an announcement back; undefined for a payload that is not one. */
export function parseAnnouncement(
  payload: string,
): { environment: string; version: number; change: Change | undefined } | undefined {
  const envEnd = payload.indexOf(':')
  if (envEnd <= 0) return undefined
  const versionEnd = payload.indexOf(':', envEnd + 1)
  const version = Number(payload.slice(envEnd + 1, versionEnd < 0 ? undefined : versionEnd))
  if (!Number.isInteger(version) || version < 1) return undefined
  let change: Change | undefined
  if (versionEnd >= 0) {
    let json: unknown
    try {
      // Written by recordEnvChange from a Change in the same transaction as the change log row.
      json = JSON.parse(payload.slice(versionEnd + 1))
    } catch {
      json = undefined // not ours after all: the change log has it
    }
    // A payload that is not a change is read as "no change carried": the replica reads the log.
    const parsed = shapes.change.safeParse(json)
    change = parsed.success && parsed.data.version === version ? parsed.data : undefined
  }
  return { environment: payload.slice(0, envEnd), version, change }
}

/**
 * Inside the caller's transaction (after `bumpVersion` and the write itself): append the change
 * to the change log, trim what is older than the resume window, write its audit row and announce
 * it to the replicas (`NOTIFY canary_changes` with the change itself when it fits, delivered
 * at commit, in commit order). One
 * statement (data-modifying CTEs), because the environment's row lock is held until commit and
 * every round trip made under it is time all other writers of the environment wait.
 */
export async function recordEnvChange(
  tx: PgTx,
  envKey: string,
  { change, audit }: Decided,
): Promise<EnvChange> {
  await tx.execute(sql`
    with logged as (
      insert into ${changeLog} (env_key, version, change) values (${envKey}, ${change.version}, ${jsonb(change)}::jsonb)
    ), trimmed as (
      delete from ${changeLog} where env_key = ${envKey} and version < ${change.version - CHANGE_LOG_KEEP}
    )
    insert into ${auditLog} (actor, action, flag_key, env_key, version, before, after, details)
    select ${audit.actor}, ${audit.action}, ${audit.flagKey ?? null}, ${envKey}, ${change.version},
      ${jsonb(audit.before)}::jsonb, ${jsonb(audit.after)}::jsonb, ${jsonb(audit.details)}::jsonb
    from (select pg_notify(${CHANGES_CHANNEL}, ${announcement(envKey, change)})) as announced`)
  return { environment: envKey, change }
}

/** An audit row for a change that does not touch an environment's rules (keys, descriptions). */
export async function recordAudit(
  tx: PgTx,
  entry: AuditEntry,
  version: number | null = null,
): Promise<void> {
  await tx.insert(auditLog).values(auditRow(entry, version))
}

/** Structural changes (environments, flags created or archived) take turns cluster-wide. */
const CATALOG_LOCK = 7_236_145_902

/**
 * Inside the caller's transaction: waits for other structural changes to commit. Creating an
 * environment while a flag is created (or archived) would otherwise let each miss the other's
 * uncommitted row, leaving a flag without a state in the new environment (or a state of an
 * archived flag). Rare operations, so one lock for all of them costs nothing.
 */
export async function lockCatalog(tx: PgTx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CATALOG_LOCK})`)
}

/** The SQLSTATE of a PostgreSQL error, looking through drizzle's wrapping (`cause`). */
export function pgErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
  }
  return undefined
}

/** Runs `work`, turning a unique-key violation (a concurrent creator won) into a ConflictError. */
export async function uniquely<T>(work: () => Promise<T>, message: string): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (pgErrorCode(error) === '23505') throw new ConflictError(message)
    throw error
  }
}
