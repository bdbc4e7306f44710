import { and, eq } from 'drizzle-orm'
import type { EnvChange, ImportStore, StateUpdate } from './contract.ts'
import type { Db } from './db.ts'
import { decideCreateFlag, segmentSaved, stateUpdated } from './decisions.ts'
import { insertState, readEnvironment, readStates } from './flag-store.ts'
import { decideImport } from './import-decisions.ts'
import { bumpVersion, recordAudit, recordEnvChange } from './record-change.ts'
import { toSegment, toState } from './rows.ts'
import { readSegments } from './segment-store.ts'
import { environments, flagStates, flags, segments } from './schema.ts'

/**
 * Imports on SQLite: one better-sqlite3 transaction for the whole import, so a failure at any
 * flag (a constraint, a full disk) rolls back every flag and segment before it.
 */
export function createSqliteImportStore(db: Db): ImportStore {
  return {
    async importRules(envKey, input, options) {
      return db.transaction((tx) => {
        readEnvironment(tx, envKey)
        const states = new Map(readStates(tx, envKey).map((s) => [s.key, s]))
        const existingSegments = new Map(readSegments(tx, envKey).map((s) => [s.key, s]))
        const outcome = decideImport(envKey, { states, segments: existingSegments }, input, options.overwrite)
        if (options.dryRun) return { outcome, changes: [] }
        const changes: EnvChange[] = []
        const details = { source: options.source }
        input.segments.forEach((segment, i) => {
          if (outcome.segments[i]!.action === 'unchanged') return
          const version = bumpVersion(tx, envKey)
          const values = { envKey, ...segment, description: segment.description ?? '', version, updatedAt: Date.now() }
          const saved = toSegment(
            tx.insert(segments).values(values).onConflictDoUpdate({ target: [segments.envKey, segments.key], set: values }).returning().get(),
          )
          const decided = segmentSaved(existingSegments.get(segment.key), saved, options.actor)
          changes.push(recordEnvChange(tx, envKey, { ...decided, audit: { ...decided.audit, action: 'segment.import', details: { ...details, segment: saved.key } } }))
        })
        const envs = tx.select().from(environments).all()
        input.flags.forEach((flag, i) => {
          const action = outcome.flags[i]!.action
          if (action === 'unchanged') return
          if (action === 'create') {
            const definition = { key: flag.key, description: flag.description, tags: [], clientSide: false }
            const existing = tx.select().from(flags).where(eq(flags.key, flag.key)).get()
            const { replaceArchived, audit } = decideCreateFlag(definition, existing, options.actor)
            if (replaceArchived) tx.delete(flags).where(eq(flags.key, flag.key)).run()
            const row = tx.insert(flags).values(definition).returning().get()
            recordAudit(tx, { ...audit, details })
            for (const env of envs) {
              changes.push(insertState(tx, row, env.key, options.actor))
            }
          }
          const where = and(eq(flagStates.envKey, envKey), eq(flagStates.flagKey, flag.key))
          const beforeRow = tx.select().from(flagStates).where(where).get()!
          const clientSide = states.get(flag.key)?.clientSide ?? false
          const before = toState(beforeRow, clientSide)
          const update: StateUpdate = { actor: options.actor, action: 'flag.import', details, update: () => ({}) }
          const after = tx
            .update(flagStates)
            .set({ enabled: flag.enabled, cohorts: flag.cohorts, version: bumpVersion(tx, envKey), updatedAt: Date.now() })
            .where(where)
            .returning()
            .get()!
          changes.push(recordEnvChange(tx, envKey, stateUpdated(before, toState(after, clientSide), update)))
        })
        return { outcome, changes }
      })
    },
  }
}
