import { and, asc, eq, gt, isNotNull, isNull } from 'drizzle-orm'
import type { Change } from '../../sdk/core/changes.ts'
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts'
import type { Db } from './db.ts'
import { bumpVersion, recordAudit, recordEnvChange, type Tx } from './record-change.ts'
import { environments, flagStates, flags } from './schema.ts'
import { cut } from './flag-page.ts'
import { createSqliteFlagPages } from './flag-page-sqlite.ts'

export { rulesOf } from './flag-rows.ts'
import { rulesOf, toDefinition, toState } from './flag-rows.ts'
// The shapes are the contract's (contract.ts); this file is its SQLite implementation.
export type { DefinitionPatch, EnvChange, FlagDefinition, FlagWithStates, StatePatch, StoredFlagState } from './contract.ts'
import type { DefinitionPatch, EnvChange, FlagDefinition, FlagWithStates, Page, PageQuery, StatePatch, StoredFlagState } from './contract.ts'

type StateRow = typeof flagStates.$inferSelect
type FlagRow = typeof flags.$inferSelect




/** Fields of `patch` whose value differs from `current` (JSON comparison, tags in order). */
function changedFields(current: FlagDefinition, patch: DefinitionPatch): DefinitionPatch {
  return Object.fromEntries(
    Object.entries(patch).filter(
      ([field, value]) => value !== undefined && JSON.stringify(value) !== JSON.stringify(current[field as keyof FlagDefinition]),
    ),
  )
}

const stateWhere = (envKey: string, key: string) =>
  and(eq(flagStates.envKey, envKey), eq(flagStates.flagKey, key))

/**
 * Flags, their per-environment states and environments. Every method is synchronous and each
 * mutation is one transaction that also writes the audit log (and, for rules, the change log).
 * Mutations return the changes to stream, so the caller publishes them only after commit.
 */
export function createFlagStore(db: Db) {
  const liveFlag = (tx: Tx | Db, key: string) =>
    tx
      .select()
      .from(flags)
      .where(and(eq(flags.key, key), isNull(flags.archivedAt)))
      .get()

  /** States joined with their flag's client visibility. */
  const selectStates = (tx: Tx | Db) =>
    tx
      .select({ state: flagStates, clientSide: flags.clientSide })
      .from(flagStates)
      .innerJoin(flags, eq(flags.key, flagStates.flagKey))
  const joined = (r: { state: StateRow; clientSide: boolean }) => toState(r.state, r.clientSide)

  function requireEnv(envKey: string) {
    const env = db.select().from(environments).where(eq(environments.key, envKey)).get()
    if (!env) throw new NotFoundError(`environment ${envKey}`)
    return env
  }

  /** A new, off, rule-less state for a flag in one environment. */
  function insertState(tx: Tx, flag: FlagRow, envKey: string, actor: string): Change {
    const version = bumpVersion(tx, envKey)
    const row = tx.insert(flagStates).values({ flagKey: flag.key, envKey, salt: flag.key, version }).returning().get()
    const state = toState(row, flag.clientSide)
    const flagKey = flag.key
    const change: Change = { type: 'flag', version, flag: rulesOf(state) }
    return recordEnvChange(tx, envKey, change, { actor, action: 'flag.state.create', flagKey, after: state })
  }

  return {
    listEnvironments() {
      return db.select().from(environments).orderBy(asc(environments.createdAt), asc(environments.key)).all()
    },

    getEnvironment: requireEnv,

    /** Creates an environment; every live flag gets an (off) state in it. */
    createEnvironment(input: { key: string; name: string }, actor: string): Change[] {
      return db.transaction((tx) => {
        if (tx.select().from(environments).where(eq(environments.key, input.key)).get())
          throw new ConflictError(`environment ${input.key} already exists`)
        tx.insert(environments).values(input).run()
        recordAudit(tx, { actor, action: 'environment.create', envKey: input.key, after: input })
        const live = tx.select().from(flags).where(isNull(flags.archivedAt)).all()
        return live.map((flag) => insertState(tx, flag, input.key, actor))
      })
    },

    /** One page of live flags by key: a flags query and a states query over its key range. */
    listFlags: createSqliteFlagPages(db),

    getFlag(key: string): FlagWithStates {
      const row = liveFlag(db, key)
      if (!row) throw new NotFoundError(`flag ${key}`)
      const states = db.select().from(flagStates).where(eq(flagStates.flagKey, key)).all()
      return { ...toDefinition(row), states: states.map((state) => toState(state, row.clientSide)) }
    },

    /** Creates a flag, off with no cohorts, in every environment. */
    createFlag(input: { key: string; description: string; tags: string[]; clientSide: boolean }, actor: string): EnvChange[] {
      return db.transaction((tx) => {
        const existing = tx.select().from(flags).where(eq(flags.key, input.key)).get()
        if (existing && existing.archivedAt === null)
          throw new ConflictError(`flag ${input.key} already exists`)
        // Reusing an archived key starts from scratch: its old rules must not come back.
        if (existing) tx.delete(flags).where(eq(flags.key, input.key)).run()
        const flag = tx.insert(flags).values(input).returning().get()
        recordAudit(tx, { actor, action: 'flag.create', flagKey: input.key, after: input })
        const envs = tx.select().from(environments).all()
        return envs.map((env) => ({ environment: env.key, change: insertState(tx, flag, env.key, actor) }))
      })
    },

    /**
     * Changes a flag's shared definition. A patch that changes nothing is refused (400) and
     * leaves no row behind. Client visibility is part of every environment's rules, so changing
     * it is a versioned, streamed change in each environment.
     */
    updateFlag(key: string, patch: DefinitionPatch, actor: string): { flag: FlagDefinition; changes: EnvChange[] } {
      return db.transaction((tx) => {
        const before = liveFlag(tx, key)
        if (!before) throw new NotFoundError(`flag ${key}`)
        const changed = changedFields(toDefinition(before), patch)
        if (Object.keys(changed).length === 0)
          throw new ValidationError(`body: nothing to change (flag ${key} already has these values)`)
        const after = tx
          .update(flags)
          .set({ ...changed, updatedAt: Date.now() })
          .where(eq(flags.key, key))
          .returning()
          .get()!
        recordAudit(tx, {
          actor,
          action: changed.clientSide === undefined ? 'flag.update' : 'flag.client_side',
          flagKey: key,
          before: toDefinition(before),
          after: toDefinition(after),
        })
        if (changed.clientSide === undefined) return { flag: toDefinition(after), changes: [] }
        const rows = tx.select().from(flagStates).where(eq(flagStates.flagKey, key)).all()
        const changes = rows.map((row) => {
          const version = bumpVersion(tx, row.envKey)
          const updated = tx
            .update(flagStates)
            .set({ version, updatedAt: Date.now() })
            .where(stateWhere(row.envKey, key))
            .returning()
            .get()!
          const state = toState(updated, after.clientSide)
          const change = recordEnvChange(tx, row.envKey, { type: 'flag', version, flag: rulesOf(state) }, {
            actor,
            action: 'flag.client_side',
            flagKey: key,
            before: toState(row, before.clientSide),
            after: state,
          })
          return { environment: row.envKey, change }
        })
        return { flag: toDefinition(after), changes }
      })
    },

    /** Archives a flag: SDKs drop it (callers get their default); its audit history stays. */
    archiveFlag(key: string, actor: string): EnvChange[] {
      return db.transaction((tx) => {
        const flag = liveFlag(tx, key)
        if (!flag) throw new NotFoundError(`flag ${key}`)
        tx.update(flags).set({ archivedAt: Date.now() }).where(eq(flags.key, key)).run()
        const rows = tx.select().from(flagStates).where(eq(flagStates.flagKey, key)).all()
        tx.delete(flagStates).where(eq(flagStates.flagKey, key)).run()
        return rows.map((row) => {
          const change: Change = { type: 'flag_deleted', version: bumpVersion(tx, row.envKey), key }
          recordEnvChange(tx, row.envKey, change, {
            actor,
            action: 'flag.archive',
            flagKey: key,
            before: toState(row, flag.clientSide),
          })
          return { environment: row.envKey, change }
        })
      })
    },

    getState(envKey: string, key: string): StoredFlagState {
      requireEnv(envKey)
      const row = selectStates(db).where(stateWhere(envKey, key)).get()
      if (!row) throw new NotFoundError(`flag ${key} in environment ${envKey}`)
      return joined(row)
    },

    /** States with a guard: what the guard watches after a restart. */
    listGuarded(): StoredFlagState[] {
      return selectStates(db).where(isNotNull(flagStates.guard)).all().map(joined)
    },

    /** States of every environment that carry a rollout plan (the planner's tick). */
    listPlanned(): StoredFlagState[] {
      return selectStates(db).where(isNotNull(flagStates.plan)).all().map(joined)
    },

    listStates(envKey: string): StoredFlagState[] {
      requireEnv(envKey)
      return selectStates(db).where(eq(flagStates.envKey, envKey)).all().map(joined)
    },

    pageStates(envKey: string, { after, limit }: PageQuery): Page<StoredFlagState> {
      requireEnv(envKey)
      const { rows, next } = cut(
        selectStates(db)
          .where(and(eq(flagStates.envKey, envKey), after === undefined ? undefined : gt(flagStates.flagKey, after)))
          .orderBy(asc(flagStates.flagKey))
          .limit(limit + 1)
          .all(),
        limit,
        (row) => row.state.flagKey,
      )
      return { items: rows.map(joined), next }
    },

    /**
     * Applies `update` to the current state in one transaction. When `expectedVersion` is given
     * and the state has moved on, nothing changes and a ConflictError carries the newer state.
     * `update` runs inside the transaction and may throw to abort (e.g. a check against it).
     */
    updateState(
      envKey: string,
      key: string,
      options: {
        expectedVersion?: number | undefined
        actor: string
        action: string
        details?: unknown
        update: (current: StoredFlagState) => StatePatch
      },
    ): { state: StoredFlagState; change: Change } {
      requireEnv(envKey)
      return db.transaction((tx) => {
        const row = selectStates(tx).where(stateWhere(envKey, key)).get()
        if (!row) throw new NotFoundError(`flag ${key} in environment ${envKey}`)
        const before = joined(row)
        if (options.expectedVersion !== undefined && options.expectedVersion !== before.version)
          throw new ConflictError(
            `flag ${key} in ${envKey} changed since version ${options.expectedVersion} (now ${before.version}); reload and retry`,
            { current: before },
          )
        const patch = options.update(before)
        const version = bumpVersion(tx, envKey)
        const updated = tx
          .update(flagStates)
          .set({ ...patch, version, updatedAt: Date.now() })
          .where(stateWhere(envKey, key))
          .returning()
          .get()!
        const state = toState(updated, before.clientSide)
        const change = recordEnvChange(
          tx,
          envKey,
          { type: 'flag', version, flag: rulesOf(state) },
          { actor: options.actor, action: options.action, flagKey: key, before, after: state, details: options.details },
        )
        return { state, change }
      })
    },
  }
}

export type FlagStore = ReturnType<typeof createFlagStore>
