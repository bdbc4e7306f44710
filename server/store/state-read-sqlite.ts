import { getTableName } from 'drizzle-orm'
import type { Cohort } from '../../sdk/core/types.ts'
import type { StoredFlagState } from './contract.ts'
import type { Db } from './db.ts'
import { toState } from './rows.ts'
import { flagStates, flags } from './schema.ts'

/**
 * The admin read of one flag state on SQLite (`GET …/flags/:key`, run per request): one
 * better-sqlite3 statement prepared once from the schema's names, its row mapped by hand. Through
 * drizzle's prepared query, the placeholder and row mapping (a mapper per column, a JSON parse per
 * JSON column through its column class) cost more than SQLite's own primary-key read. The row
 * then goes through `toState`, the one place a state row becomes a `StoredFlagState` (guard and
 * plan checked there), so this answer is the drizzle read's, field for field
 * (`test/store/state-read-sqlite.test.ts`).
 *
 * @example
 * const read = sqliteStateReader(db)
 * read('production', 'new-checkout') // StoredFlagState | undefined (no such state)
 */
export function sqliteStateReader(db: Db): (envKey: string, key: string) => StoredFlagState | undefined {
  const s = flagStates
  const column = (c: { name: string }) => `s."${c.name}"`
  const columns = [s.flagKey, s.envKey, s.enabled, s.salt, s.stickiness, s.cohorts, s.guard, s.plan, s.version, s.updatedAt].map(column)
  const statement = db.$client
    .prepare(
      `SELECT ${columns.join(', ')}, f."${flags.clientSide.name}" FROM "${getTableName(s)}" s ` +
        `JOIN "${getTableName(flags)}" f ON f."${flags.key.name}" = s."${s.flagKey.name}" ` +
        `WHERE s."${s.envKey.name}" = ? AND s."${s.flagKey.name}" = ?`,
    )
    .raw()
  return (envKey, key) => {
    const row = statement.get(envKey, key) as StateRow | undefined
    if (row === undefined) return undefined
    const [flagKey, env, enabled, salt, stickiness, cohorts, guard, plan, version, updatedAt, clientSide] = row
    return toState(
      {
        flagKey,
        envKey: env,
        enabled: enabled === 1,
        salt,
        stickiness,
        cohorts: JSON.parse(cohorts) as Cohort[],
        guard: guard === null ? null : JSON.parse(guard),
        plan: plan === null ? null : JSON.parse(plan),
        version,
        updatedAt,
      },
      clientSide === 1,
    )
  }
}

/** The columns as SQLite returns them: booleans are 0/1 integers, JSON columns their text. */
type StateRow = [string, string, number, string, string, string, string | null, string | null, number, number, number]
