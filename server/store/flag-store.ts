import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm'
import type { Change } from '../../sdk/core/changes.ts'
import type { FlagState } from '../../sdk/core/types.ts'
import { ConflictError, NotFoundError } from '../errors.ts'
import type { Db } from './db.ts'
import { bumpVersion, recordAudit, recordEnvChange, type Tx } from './record-change.ts'
import { environments, flagStates, flags } from './schema.ts'

export interface FlagDefinition {
  key: string
  description: string
  tags: string[]
  createdAt: number
  updatedAt: number
}

/** A flag's state in one environment plus the settings that are not evaluation rules. */
export interface StoredFlagState extends FlagState {
  environment: string
  guard: unknown
  plan: unknown
  updatedAt: number
}

export type FlagWithStates = FlagDefinition & { states: StoredFlagState[] }

/** What a state update may change; the store stamps version and time. */
export type StatePatch = Partial<
  Pick<StoredFlagState, 'enabled' | 'stickiness' | 'cohorts' | 'guard' | 'plan'>
>

type StateRow = typeof flagStates.$inferSelect
type FlagRow = typeof flags.$inferSelect

function toState(row: StateRow): StoredFlagState {
  return {
    key: row.flagKey,
    environment: row.envKey,
    enabled: row.enabled,
    salt: row.salt,
    stickiness: row.stickiness,
    cohorts: row.cohorts,
    version: row.version,
    guard: row.guard ?? null,
    plan: row.plan ?? null,
    updatedAt: row.updatedAt,
  }
}

function toDefinition({ key, description, tags, createdAt, updatedAt }: FlagRow): FlagDefinition {
  return { key, description, tags, createdAt, updatedAt }
}

/** The evaluation rules only: what is streamed and snapshotted. */
export function rulesOf(state: StoredFlagState): FlagState {
  const { key, enabled, salt, stickiness, cohorts, version } = state
  return { key, enabled, salt, stickiness, cohorts, version }
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

  function requireEnv(envKey: string) {
    const env = db.select().from(environments).where(eq(environments.key, envKey)).get()
    if (!env) throw new NotFoundError(`environment ${envKey}`)
    return env
  }

  /** A new, off, rule-less state for a flag in one environment. */
  function insertState(tx: Tx, flagKey: string, envKey: string, actor: string): Change {
    const version = bumpVersion(tx, envKey)
    const row = tx.insert(flagStates).values({ flagKey, envKey, salt: flagKey, version }).returning().get()
    const state = toState(row)
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
        return live.map((flag) => insertState(tx, flag.key, input.key, actor))
      })
    },

    listFlags(): FlagWithStates[] {
      const states = db.select().from(flagStates).all().map(toState)
      return db
        .select()
        .from(flags)
        .where(isNull(flags.archivedAt))
        .orderBy(asc(flags.key))
        .all()
        .map((row) => ({ ...toDefinition(row), states: states.filter((s) => s.key === row.key) }))
    },

    getFlag(key: string): FlagWithStates {
      const row = liveFlag(db, key)
      if (!row) throw new NotFoundError(`flag ${key}`)
      const states = db.select().from(flagStates).where(eq(flagStates.flagKey, key)).all()
      return { ...toDefinition(row), states: states.map(toState) }
    },

    /** Creates a flag, off with no cohorts, in every environment. */
    createFlag(input: { key: string; description: string; tags: string[] }, actor: string): Change[] {
      return db.transaction((tx) => {
        const existing = tx.select().from(flags).where(eq(flags.key, input.key)).get()
        if (existing && existing.archivedAt === null)
          throw new ConflictError(`flag ${input.key} already exists`)
        // Reusing an archived key starts from scratch: its old rules must not come back.
        if (existing) tx.delete(flags).where(eq(flags.key, input.key)).run()
        tx.insert(flags).values(input).run()
        recordAudit(tx, { actor, action: 'flag.create', flagKey: input.key, after: input })
        const envs = tx.select().from(environments).all()
        return envs.map((env) => insertState(tx, input.key, env.key, actor))
      })
    },

    updateFlag(key: string, patch: { description?: string; tags?: string[] }, actor: string) {
      return db.transaction((tx) => {
        const before = liveFlag(tx, key)
        if (!before) throw new NotFoundError(`flag ${key}`)
        const after = tx
          .update(flags)
          .set({ ...patch, updatedAt: Date.now() })
          .where(eq(flags.key, key))
          .returning()
          .get()!
        recordAudit(tx, {
          actor,
          action: 'flag.update',
          flagKey: key,
          before: toDefinition(before),
          after: toDefinition(after),
        })
        return toDefinition(after)
      })
    },

    /** Archives a flag: SDKs drop it (callers get their default); its audit history stays. */
    archiveFlag(key: string, actor: string): Change[] {
      return db.transaction((tx) => {
        if (!liveFlag(tx, key)) throw new NotFoundError(`flag ${key}`)
        tx.update(flags).set({ archivedAt: Date.now() }).where(eq(flags.key, key)).run()
        const rows = tx.select().from(flagStates).where(eq(flagStates.flagKey, key)).all()
        tx.delete(flagStates).where(eq(flagStates.flagKey, key)).run()
        return rows.map((row) => {
          const change: Change = { type: 'flag_deleted', version: bumpVersion(tx, row.envKey), key }
          return recordEnvChange(tx, row.envKey, change, {
            actor,
            action: 'flag.archive',
            flagKey: key,
            before: toState(row),
          })
        })
      })
    },

    getState(envKey: string, key: string): StoredFlagState {
      requireEnv(envKey)
      const row = db.select().from(flagStates).where(stateWhere(envKey, key)).get()
      if (!row) throw new NotFoundError(`flag ${key} in environment ${envKey}`)
      return toState(row)
    },

    /** States of every environment that carry a rollout plan (the planner's tick). */
    /** States with a guard: what the guard watches after a restart. */
    listGuarded(): StoredFlagState[] {
      return db.select().from(flagStates).where(isNotNull(flagStates.guard)).all().map(toState)
    },

    listPlanned(): StoredFlagState[] {
      return db.select().from(flagStates).where(isNotNull(flagStates.plan)).all().map(toState)
    },

    listStates(envKey: string): StoredFlagState[] {
      requireEnv(envKey)
      return db.select().from(flagStates).where(eq(flagStates.envKey, envKey)).all().map(toState)
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
        const row = tx.select().from(flagStates).where(stateWhere(envKey, key)).get()
        if (!row) throw new NotFoundError(`flag ${key} in environment ${envKey}`)
        const before = toState(row)
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
        const state = toState(updated)
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
