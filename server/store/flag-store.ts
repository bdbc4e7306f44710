import { and, asc, eq, gt, isNotNull, isNull, sql, type Placeholder } from 'drizzle-orm'
import type { EnvChange, Environment, FlagStore, StoredFlagState } from './contract.ts'
import type { Db } from './db.ts'
import {
  decideCreateEnvironment,
  decideCreateFlag,
  decideFlagUpdate,
  decideStateUpdate,
  found,
  flagUpdated,
  missing,
  stateArchived,
  stateCreated,
  stateUpdated,
  visibilityChanged,
} from './decisions.ts'
import { cut } from './flag-page.ts'
import { createSqliteFlagPages } from './flag-page-sqlite.ts'
import { bumpVersion, recordAudit, recordEnvChange, type Tx } from './record-change.ts'
import { protectionSet, withApproval } from './request-decisions.ts'
import { settleRequest } from './request-store.ts'
import { toDefinition, toState } from './rows.ts'
import { sqliteStateReader } from './state-read-sqlite.ts'
import { environments, flagStates, flags } from './schema.ts'

type StateRow = typeof flagStates.$inferSelect
type FlagRow = typeof flags.$inferSelect

const stateWhere = (envKey: string | Placeholder, key: string | Placeholder) =>
  and(eq(flagStates.envKey, envKey), eq(flagStates.flagKey, key))

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

/** An environment, read synchronously (for reads that must share one SQLite transaction). */
export function readEnvironment(db: Tx | Db, envKey: string): Environment {
  return found(db.select().from(environments).where(eq(environments.key, envKey)).get(), () => missing.environment(envKey))
}

/** Every state of one environment, read synchronously. */
export function readStates(db: Tx | Db, envKey: string): StoredFlagState[] {
  readEnvironment(db, envKey)
  return selectStates(db).where(eq(flagStates.envKey, envKey)).all().map(joined)
}

/** A new, off, rule-less state for a flag in one environment. */
export function insertState(tx: Tx, flag: FlagRow, envKey: string, actor: string): EnvChange {
  const version = bumpVersion(tx, envKey)
  const row = tx.insert(flagStates).values({ flagKey: flag.key, envKey, salt: flag.key, version }).returning().get()
  return recordEnvChange(tx, envKey, stateCreated(toState(row, flag.clientSide), actor))
}

/**
 * Flags, their per-environment states and environments on SQLite. Each mutation reads, asks
 * `decisions.ts`, and writes in one better-sqlite3 transaction that also writes the audit log
 * (and, for rules, the change log). better-sqlite3 runs each call to completion on the event
 * loop, and no method awaits before its work is done, so SQLite calls never interleave: a second
 * writer with the same base version always sees the first one's commit.
 */
export function createSqliteFlagStore(db: Db): FlagStore {
  const pages = createSqliteFlagPages(db)
  // The admin read of one state runs per request: its statements are built and prepared once.
  const environmentByKey = db.select().from(environments).where(eq(environments.key, sql.placeholder('envKey'))).prepare()
  const stateByKeys = sqliteStateReader(db)
  return {
    async listEnvironments() {
      return db.select().from(environments).orderBy(asc(environments.createdAt), asc(environments.key)).all()
    },

    getEnvironment: async (envKey) => readEnvironment(db, envKey),

    async setProtection(envKey, approvals, actor) {
      return db.transaction((tx) => {
        const before = readEnvironment(tx, envKey)
        const after = tx.update(environments).set({ approvals }).where(eq(environments.key, envKey)).returning().get()!
        recordAudit(tx, protectionSet(before, approvals, actor))
        return after
      })
    },

    async createEnvironment(input, actor) {
      return db.transaction((tx) => {
        const exists = tx.select().from(environments).where(eq(environments.key, input.key)).get() !== undefined
        const audit = decideCreateEnvironment(input, exists, actor)
        tx.insert(environments).values(input).run()
        recordAudit(tx, audit)
        const live = tx.select().from(flags).where(isNull(flags.archivedAt)).all()
        return live.map((flag) => insertState(tx, flag, input.key, actor))
      })
    },

    /** One page of live flags by key: a flags query and a states query over its key range. */
    listFlags: async (page) => pages(page),

    async getFlag(key) {
      const row = found(liveFlag(db, key), () => missing.flag(key))
      const states = db.select().from(flagStates).where(eq(flagStates.flagKey, key)).all()
      return { ...toDefinition(row), states: states.map((state) => toState(state, row.clientSide)) }
    },

    async createFlag(input, actor) {
      return db.transaction((tx) => {
        const existing = tx.select().from(flags).where(eq(flags.key, input.key)).get()
        const { replaceArchived, audit } = decideCreateFlag(input, existing, actor)
        if (replaceArchived) tx.delete(flags).where(eq(flags.key, input.key)).run()
        const flag = tx.insert(flags).values(input).returning().get()
        recordAudit(tx, audit)
        const envs = tx.select().from(environments).all()
        return envs.map((env) => insertState(tx, flag, env.key, actor))
      })
    },

    async updateFlag(key, patch, actor) {
      return db.transaction((tx) => {
        const before = liveFlag(tx, key)
        const decision = decideFlagUpdate(key, before && toDefinition(before), patch)
        const after = tx
          .update(flags)
          .set({ ...decision.changed, updatedAt: Date.now() })
          .where(eq(flags.key, key))
          .returning()
          .get()!
        const flag = toDefinition(after)
        recordAudit(tx, flagUpdated(decision, toDefinition(before!), flag, actor))
        if (!decision.visibilityChanged) return { flag, changes: [] }
        const rows = tx.select().from(flagStates).where(eq(flagStates.flagKey, key)).all()
        const changes = rows.map((row) => {
          const version = bumpVersion(tx, row.envKey)
          const updated = tx
            .update(flagStates)
            .set({ version, updatedAt: Date.now() })
            .where(stateWhere(row.envKey, key))
            .returning()
            .get()!
          const decided = visibilityChanged(toState(row, before!.clientSide), toState(updated, after.clientSide), actor)
          return recordEnvChange(tx, row.envKey, decided)
        })
        return { flag, changes }
      })
    },

    async archiveFlag(key, actor) {
      return db.transaction((tx) => {
        const flag = found(liveFlag(tx, key), () => missing.flag(key))
        tx.update(flags).set({ archivedAt: Date.now() }).where(eq(flags.key, key)).run()
        const rows = tx.select().from(flagStates).where(eq(flagStates.flagKey, key)).all()
        tx.delete(flagStates).where(eq(flagStates.flagKey, key)).run()
        return rows.map((row) => {
          const decided = stateArchived(toState(row, flag.clientSide), bumpVersion(tx, row.envKey), actor)
          return recordEnvChange(tx, row.envKey, decided)
        })
      })
    },

    async getState(envKey, key) {
      // The state first (as on PostgreSQL): a state row means its environment exists, so only a
      // miss reads the environment, to say which of the two is missing.
      const state = stateByKeys(envKey, key)
      if (state !== undefined) return state
      found(environmentByKey.get({ envKey }), () => missing.environment(envKey))
      throw missing.state(envKey, key)
    },

    listGuarded: async () => selectStates(db).where(isNotNull(flagStates.guard)).all().map(joined),

    listPlanned: async () => selectStates(db).where(isNotNull(flagStates.plan)).all().map(joined),

    listStates: async (envKey) => readStates(db, envKey),

    async pageStates(envKey, { after, limit }) {
      readEnvironment(db, envKey)
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

    async updateState(envKey, key, options) {
      readEnvironment(db, envKey)
      return db.transaction((tx) => {
        const before = joined(found(selectStates(tx).where(stateWhere(envKey, key)).get(), () => missing.state(envKey, key)))
        const patch = decideStateUpdate(before, options)
        const version = bumpVersion(tx, envKey)
        const updated = tx
          .update(flagStates)
          .set({ ...patch, version, updatedAt: Date.now() })
          .where(stateWhere(envKey, key))
          .returning()
          .get()!
        const state = toState(updated, before.clientSide)
        if (options.approval) settleRequest(tx, options.approval, version, state.updatedAt)
        const committed = recordEnvChange(tx, envKey, stateUpdated(before, state, { ...options, details: withApproval(options.details, options.approval) }))
        return { state, committed }
      })
    },
  }
}
