import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm'
import type { Change } from '../../../sdk/core/changes.ts'
import { ConflictError, NotFoundError } from '../../errors.ts'
import type {
  CommittedChange,
  Environment,
  FlagDefinition,
  FlagStore,
  StoredFlagState,
} from '../contract.ts'
import { rulesOf } from '../flag-store.ts'
import type { PgDb, PgTx } from './db.ts'
import {
  bumpVersion,
  lockCatalog,
  recordAudit,
  recordEnvChange,
  uniquely,
} from './record-change.ts'
import { environments, flagStates, flags } from './schema.ts'

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

const stateWhere = (envKey: string, key: string) =>
  and(eq(flagStates.envKey, envKey), eq(flagStates.flagKey, key))

/**
 * Flags, states and environments on PostgreSQL. Each mutation is one transaction (READ
 * COMMITTED) that writes the audit log and, for rules, the change log. Writers of one
 * environment are serialised by the version bump's row lock; a state update also locks its
 * state row (FOR UPDATE) before checking the expected version, so of two writers with the same
 * base version one commits and the other gets a ConflictError. Transactions that change several
 * environments bump them in key order, so they cannot deadlock with each other.
 */
export function createPgFlagStore(db: PgDb): FlagStore {
  const liveFlag = async (tx: PgDb | PgTx, key: string) =>
    (
      await tx
        .select()
        .from(flags)
        .where(and(eq(flags.key, key), isNull(flags.archivedAt)))
    )[0]

  async function requireEnv(tx: PgDb | PgTx, envKey: string): Promise<Environment> {
    const [env] = await tx.select().from(environments).where(eq(environments.key, envKey))
    if (!env) throw new NotFoundError(`environment ${envKey}`)
    return env
  }

  /** A new, off, rule-less state for a flag in one environment. */
  async function insertState(
    tx: PgTx,
    flagKey: string,
    envKey: string,
    actor: string,
  ): Promise<CommittedChange> {
    const version = await bumpVersion(tx, envKey)
    const [row] = await tx
      .insert(flagStates)
      .values({ flagKey, envKey, salt: flagKey, version })
      .returning()
    const state = toState(row!)
    const change: Change = { type: 'flag', version, flag: rulesOf(state) }
    return recordEnvChange(tx, envKey, change, {
      actor,
      action: 'flag.state.create',
      flagKey,
      after: state,
    })
  }

  return {
    listEnvironments: () =>
      db.select().from(environments).orderBy(asc(environments.createdAt), asc(environments.key)),

    getEnvironment: (envKey) => requireEnv(db, envKey),

    createEnvironment: (input, actor) =>
      uniquely(
        () =>
          db.transaction(async (tx) => {
            await lockCatalog(tx)
            if (
              (await tx.select().from(environments).where(eq(environments.key, input.key))).length >
              0
            )
              throw new ConflictError(`environment ${input.key} already exists`)
            await tx.insert(environments).values(input)
            await recordAudit(tx, {
              actor,
              action: 'environment.create',
              envKey: input.key,
              after: input,
            })
            const live = await tx
              .select()
              .from(flags)
              .where(isNull(flags.archivedAt))
              .orderBy(asc(flags.key))
            const committed: CommittedChange[] = []
            for (const flag of live)
              committed.push(await insertState(tx, flag.key, input.key, actor))
            return committed
          }),
        `environment ${input.key} already exists`,
      ),

    async listFlags() {
      // One read transaction so definitions and states are of the same moment.
      return db.transaction(
        async (tx) => {
          const states = (await tx.select().from(flagStates).orderBy(asc(flagStates.envKey))).map(
            toState,
          )
          const rows = await tx
            .select()
            .from(flags)
            .where(isNull(flags.archivedAt))
            .orderBy(asc(flags.key))
          return rows.map((row) => ({
            ...toDefinition(row),
            states: states.filter((s) => s.key === row.key),
          }))
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      )
    },

    async getFlag(key) {
      return db.transaction(
        async (tx) => {
          const row = await liveFlag(tx, key)
          if (!row) throw new NotFoundError(`flag ${key}`)
          const states = await tx
            .select()
            .from(flagStates)
            .where(eq(flagStates.flagKey, key))
            .orderBy(asc(flagStates.envKey))
          return { ...toDefinition(row), states: states.map(toState) }
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      )
    },

    createFlag: (input, actor) =>
      uniquely(
        () =>
          db.transaction(async (tx) => {
            await lockCatalog(tx)
            const [existing] = await tx.select().from(flags).where(eq(flags.key, input.key))
            if (existing && existing.archivedAt === null)
              throw new ConflictError(`flag ${input.key} already exists`)
            // Reusing an archived key starts from scratch: its old rules must not come back.
            if (existing) await tx.delete(flags).where(eq(flags.key, input.key))
            await tx.insert(flags).values(input)
            await recordAudit(tx, {
              actor,
              action: 'flag.create',
              flagKey: input.key,
              after: input,
            })
            const envs = await tx.select().from(environments).orderBy(asc(environments.key))
            const committed: CommittedChange[] = []
            for (const env of envs) committed.push(await insertState(tx, input.key, env.key, actor))
            return committed
          }),
        `flag ${input.key} already exists`,
      ),

    updateFlag: (key, patch, actor) =>
      db.transaction(async (tx) => {
        const [before] = await tx
          .select()
          .from(flags)
          .where(and(eq(flags.key, key), isNull(flags.archivedAt)))
          // Not a key change: states being inserted (foreign key checks) need not wait for it.
          .for('no key update')
        if (!before) throw new NotFoundError(`flag ${key}`)
        const [after] = await tx
          .update(flags)
          .set({ ...patch, updatedAt: Date.now() })
          .where(eq(flags.key, key))
          .returning()
        await recordAudit(tx, {
          actor,
          action: 'flag.update',
          flagKey: key,
          before: toDefinition(before),
          after: toDefinition(after!),
        })
        return toDefinition(after!)
      }),

    archiveFlag: (key, actor) =>
      db.transaction(async (tx) => {
        await lockCatalog(tx)
        if (!(await liveFlag(tx, key))) throw new NotFoundError(`flag ${key}`)
        await tx.update(flags).set({ archivedAt: Date.now() }).where(eq(flags.key, key))
        const rows = await tx.delete(flagStates).where(eq(flagStates.flagKey, key)).returning()
        rows.sort((a, b) => (a.envKey < b.envKey ? -1 : a.envKey > b.envKey ? 1 : 0))
        const committed: CommittedChange[] = []
        for (const row of rows) {
          const change: Change = {
            type: 'flag_deleted',
            version: await bumpVersion(tx, row.envKey),
            key,
          }
          committed.push(
            await recordEnvChange(tx, row.envKey, change, {
              actor,
              action: 'flag.archive',
              flagKey: key,
              before: toState(row),
            }),
          )
        }
        return committed
      }),

    async getState(envKey, key) {
      await requireEnv(db, envKey)
      const [row] = await db.select().from(flagStates).where(stateWhere(envKey, key))
      if (!row) throw new NotFoundError(`flag ${key} in environment ${envKey}`)
      return toState(row)
    },

    listGuarded: async () =>
      (await db.select().from(flagStates).where(isNotNull(flagStates.guard))).map(toState),

    listPlanned: async () =>
      (await db.select().from(flagStates).where(isNotNull(flagStates.plan))).map(toState),

    async listStates(envKey) {
      await requireEnv(db, envKey)
      return (
        await db
          .select()
          .from(flagStates)
          .where(eq(flagStates.envKey, envKey))
          .orderBy(asc(flagStates.flagKey))
      ).map(toState)
    },

    updateState: (envKey, key, options) =>
      db.transaction(async (tx) => {
        // The row lock makes a second writer wait here and then read the first one's commit.
        const [row] = await tx
          .select()
          .from(flagStates)
          .where(stateWhere(envKey, key))
          .for('update')
        if (!row) {
          await requireEnv(tx, envKey)
          throw new NotFoundError(`flag ${key} in environment ${envKey}`)
        }
        const before = toState(row)
        if (options.expectedVersion !== undefined && options.expectedVersion !== before.version)
          throw new ConflictError(
            `flag ${key} in ${envKey} changed since version ${options.expectedVersion} (now ${before.version}); reload and retry`,
            { current: before },
          )
        const patch = options.update(before)
        const version = await bumpVersion(tx, envKey)
        const [updated] = await tx
          .update(flagStates)
          .set({ ...patch, version, updatedAt: Date.now() })
          .where(stateWhere(envKey, key))
          .returning()
        const state = toState(updated!)
        const committed = await recordEnvChange(
          tx,
          envKey,
          { type: 'flag', version, flag: rulesOf(state) },
          {
            actor: options.actor,
            action: options.action,
            flagKey: key,
            before,
            after: state,
            details: options.details,
          },
        )
        return { state, committed }
      }),
  }
}
