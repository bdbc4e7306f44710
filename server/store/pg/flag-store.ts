import { and, asc, eq, gt, isNotNull, isNull, lte, type SQL } from 'drizzle-orm'
import type { EnvChange, Environment, FlagStore, StoredFlagState } from '../contract.ts'
import {
  alreadyExists,
  decideCreateEnvironment,
  decideCreateFlag,
  decideFlagUpdate,
  decideStateUpdate,
  flagUpdated,
  found,
  missing,
  stateArchived,
  stateCreated,
  stateUpdated,
  visibilityChanged,
} from '../decisions.ts'
import { cut, flagPage } from '../flag-page.ts'
import { toDefinition, toState } from '../rows.ts'
import type { PgDb, PgTx } from './db.ts'
import { bumpVersion, lockCatalog, recordAudit, recordEnvChange, uniquely } from './record-change.ts'
import { environments, flagStates, flags } from './schema.ts'
import { protectionSet, withApproval } from '../request-decisions.ts'
import { settleRequest } from './request-store.ts'

type FlagRow = typeof flags.$inferSelect

const stateWhere = (envKey: string, key: string) =>
  and(eq(flagStates.envKey, envKey), eq(flagStates.flagKey, key))

const byEnvKey = (a: { envKey: string }, b: { envKey: string }) =>
  a.envKey < b.envKey ? -1 : a.envKey > b.envKey ? 1 : 0

const READ_ONLY_SNAPSHOT = { isolationLevel: 'repeatable read', accessMode: 'read only' } as const

const liveFlag = async (tx: PgDb | PgTx, key: string) =>
  (
    await tx
      .select()
      .from(flags)
      .where(and(eq(flags.key, key), isNull(flags.archivedAt)))
  )[0]

async function requireEnv(tx: PgDb | PgTx, envKey: string): Promise<Environment> {
  const [env] = await tx.select().from(environments).where(eq(environments.key, envKey))
  return found(env, () => missing.environment(envKey))
}

/** States joined with their flag's client visibility. */
async function statesWhere(tx: PgDb | PgTx, where: SQL | undefined, limit?: number): Promise<StoredFlagState[]> {
  const query = tx
    .select({ state: flagStates, clientSide: flags.clientSide })
    .from(flagStates)
    .innerJoin(flags, eq(flags.key, flagStates.flagKey))
    .where(where)
    .orderBy(asc(flagStates.flagKey), asc(flagStates.envKey))
  const rows = await (limit === undefined ? query : query.limit(limit))
  return rows.map((row) => toState(row.state, row.clientSide))
}

/** A new, off, rule-less state for a flag in one environment. */
async function insertState(tx: PgTx, flag: FlagRow, envKey: string, actor: string): Promise<EnvChange> {
  const version = await bumpVersion(tx, envKey)
  const [row] = await tx
    .insert(flagStates)
    .values({ flagKey: flag.key, envKey, salt: flag.key, version })
    .returning()
  return recordEnvChange(tx, envKey, stateCreated(toState(row!, flag.clientSide), actor))
}

/**
 * Flags, states and environments on PostgreSQL. Each mutation is one transaction (READ
 * COMMITTED): it reads and locks, asks `decisions.ts`, and writes, with the audit log and, for
 * rules, the change log (and its NOTIFY).
 *
 * Concurrency: writers of one environment queue on the version bump's row lock; a state update
 * first locks its state row (FOR UPDATE), so of two writers with the same base version one
 * commits and the other gets a ConflictError. Every transaction takes its locks in one order —
 * the catalog lock (structural changes), a flag row, its state rows, then environment rows in
 * key order — so no two of them can wait for each other in a cycle (no deadlocks).
 */
export function createPgFlagStore(db: PgDb): FlagStore {
  return { ...pgFlagReads(db), ...pgCatalogChanges(db), ...pgFlagUpdates(db) }
}

/** The reads: one query each, or one read-only snapshot where two must agree. */
function pgFlagReads(
  db: PgDb,
): Pick<
  FlagStore,
  'listEnvironments' | 'getEnvironment' | 'listFlags' | 'getFlag' | 'getState' | 'listGuarded' | 'listPlanned' | 'listStates' | 'pageStates'
> {
  return {
    listEnvironments: () =>
      db.select().from(environments).orderBy(asc(environments.createdAt), asc(environments.key)),

    getEnvironment: (envKey) => requireEnv(db, envKey),

    listFlags: ({ after, limit }) =>
      // One snapshot, so the page's definitions and states are of the same moment.
      db.transaction(async (tx) => {
        const { rows, next } = cut(
          await tx
            .select()
            .from(flags)
            .where(and(isNull(flags.archivedAt), after === undefined ? undefined : gt(flags.key, after)))
            .orderBy(asc(flags.key))
            .limit(limit + 1),
          limit,
          (row) => row.key,
        )
        const last = rows.at(-1)
        if (last === undefined) return { items: [], next }
        // Archiving deletes a flag's states, so the key range holds the page's states only.
        const states = await tx
          .select()
          .from(flagStates)
          .where(and(after === undefined ? undefined : gt(flagStates.flagKey, after), lte(flagStates.flagKey, last.key)))
          .orderBy(asc(flagStates.flagKey), asc(flagStates.envKey))
        return flagPage(rows, states, next)
      }, READ_ONLY_SNAPSHOT),

    getFlag: (key) =>
      db.transaction(async (tx) => {
        const row = found(await liveFlag(tx, key), () => missing.flag(key))
        const states = await tx
          .select()
          .from(flagStates)
          .where(eq(flagStates.flagKey, key))
          .orderBy(asc(flagStates.envKey))
        return { ...toDefinition(row), states: states.map((s) => toState(s, row.clientSide)) }
      }, READ_ONLY_SNAPSHOT),

    async getState(envKey, key) {
      const [state] = await statesWhere(db, stateWhere(envKey, key))
      if (state) return state
      await requireEnv(db, envKey)
      throw missing.state(envKey, key)
    },

    listGuarded: () => statesWhere(db, isNotNull(flagStates.guard)),

    listPlanned: () => statesWhere(db, isNotNull(flagStates.plan)),

    async listStates(envKey) {
      await requireEnv(db, envKey)
      return statesWhere(db, eq(flagStates.envKey, envKey))
    },

    async pageStates(envKey, { after, limit }) {
      await requireEnv(db, envKey)
      const where = and(eq(flagStates.envKey, envKey), after === undefined ? undefined : gt(flagStates.flagKey, after))
      const { rows, next } = cut(await statesWhere(db, where, limit + 1), limit, (state) => state.key)
      return { items: rows, next }
    },
  }
}

/**
 * Structural changes (environments, flags created or archived): each takes the catalog lock
 * first, so two of them never miss each other's uncommitted rows.
 */
function pgCatalogChanges(db: PgDb): Pick<FlagStore, 'createEnvironment' | 'createFlag' | 'archiveFlag'> {
  return {
    createEnvironment: (input, actor) =>
      uniquely(
        () =>
          db.transaction(async (tx) => {
            await lockCatalog(tx)
            const existing = await tx.select().from(environments).where(eq(environments.key, input.key))
            const audit = decideCreateEnvironment(input, existing.length > 0, actor)
            await tx.insert(environments).values(input)
            await recordAudit(tx, audit)
            const live = await tx.select().from(flags).where(isNull(flags.archivedAt)).orderBy(asc(flags.key))
            const changes: EnvChange[] = []
            for (const flag of live) changes.push(await insertState(tx, flag, input.key, actor))
            return changes
          }),
        alreadyExists.environment(input.key),
      ),

    createFlag: (input, actor) =>
      uniquely(
        () =>
          db.transaction(async (tx) => {
            await lockCatalog(tx)
            const [existing] = await tx.select().from(flags).where(eq(flags.key, input.key))
            const { replaceArchived, audit } = decideCreateFlag(input, existing, actor)
            if (replaceArchived) await tx.delete(flags).where(eq(flags.key, input.key))
            const [flag] = await tx.insert(flags).values(input).returning()
            await recordAudit(tx, audit)
            const envs = await tx.select().from(environments).orderBy(asc(environments.key))
            const changes: EnvChange[] = []
            for (const env of envs) changes.push(await insertState(tx, flag!, env.key, actor))
            return changes
          }),
        alreadyExists.flag(input.key),
      ),

    archiveFlag: (key, actor) =>
      db.transaction(async (tx) => {
        await lockCatalog(tx)
        const flag = found(await liveFlag(tx, key), () => missing.flag(key))
        await tx.update(flags).set({ archivedAt: Date.now() }).where(eq(flags.key, key))
        const rows = await tx.delete(flagStates).where(eq(flagStates.flagKey, key)).returning()
        const changes: EnvChange[] = []
        for (const row of rows.sort(byEnvKey)) {
          const decided = stateArchived(toState(row, flag.clientSide), await bumpVersion(tx, row.envKey), actor)
          changes.push(await recordEnvChange(tx, row.envKey, decided))
        }
        return changes
      }),
  }
}

/** Updates of a flag's definition and of one of its states. */
function pgFlagUpdates(db: PgDb): Pick<FlagStore, 'updateFlag' | 'updateState' | 'setProtection'> {
  return {
    setProtection: (envKey, approvals, actor) =>
      db.transaction(async (tx) => {
        const [before] = await tx.select().from(environments).where(eq(environments.key, envKey)).for('update')
        found(before, () => missing.environment(envKey))
        const [after] = await tx.update(environments).set({ approvals }).where(eq(environments.key, envKey)).returning()
        await recordAudit(tx, protectionSet(before!, approvals, actor))
        return after!
      }),

    updateFlag: (key, patch, actor) =>
      db.transaction(async (tx) => {
        // Visibility changes every environment: it takes turns with creating environments,
        // which copy each flag's visibility into their first change.
        if (patch.clientSide !== undefined) await lockCatalog(tx)
        const [before] = await tx
          .select()
          .from(flags)
          .where(and(eq(flags.key, key), isNull(flags.archivedAt)))
          // Not a key change: states being inserted (foreign key checks) need not wait for it.
          .for('no key update')
        const decision = decideFlagUpdate(key, before && toDefinition(before), patch)
        const [after] = await tx
          .update(flags)
          .set({ ...decision.changed, updatedAt: Date.now() })
          .where(eq(flags.key, key))
          .returning()
        const flag = toDefinition(after!)
        await recordAudit(tx, flagUpdated(decision, toDefinition(before!), flag, actor))
        if (!decision.visibilityChanged) return { flag, changes: [] }
        // Lock every state of the flag first (state updates lock a state, then its environment).
        const rows = await tx
          .select()
          .from(flagStates)
          .where(eq(flagStates.flagKey, key))
          .orderBy(asc(flagStates.envKey))
          .for('update')
        const changes: EnvChange[] = []
        for (const row of rows) {
          const version = await bumpVersion(tx, row.envKey)
          const [updated] = await tx
            .update(flagStates)
            .set({ version, updatedAt: Date.now() })
            .where(stateWhere(row.envKey, key))
            .returning()
          const decided = visibilityChanged(toState(row, before!.clientSide), toState(updated!, flag.clientSide), actor)
          changes.push(await recordEnvChange(tx, row.envKey, decided))
        }
        return { flag, changes }
      }),

    updateState: (envKey, key, options) =>
      db.transaction(async (tx) => {
        // The row lock makes a second writer wait here and then read the first one's commit.
        const [row] = await tx.select().from(flagStates).where(stateWhere(envKey, key)).for('update')
        if (!row) {
          await requireEnv(tx, envKey)
          throw missing.state(envKey, key)
        }
        // Read after the lock, in a statement of its own: a visibility change must lock this
        // state before it commits, so what this reads holds until this transaction commits.
        const [flag] = await tx.select({ clientSide: flags.clientSide }).from(flags).where(eq(flags.key, key))
        const before = toState(row, flag!.clientSide)
        const patch = decideStateUpdate(before, options)
        const version = await bumpVersion(tx, envKey)
        const [updated] = await tx
          .update(flagStates)
          .set({ ...patch, version, updatedAt: Date.now() })
          .where(stateWhere(envKey, key))
          .returning()
        const state = toState(updated!, before.clientSide)
        if (options.approval) await settleRequest(tx, options.approval, version, state.updatedAt)
        const committed = await recordEnvChange(tx, envKey, stateUpdated(before, state, { ...options, details: withApproval(options.details, options.approval) }))
        return { state, committed }
      }),
  }
}
