import type { EnvChange, ImportStore } from '../contract.ts'
import { decideImport } from '../import-decisions.ts'
import type { PgDb } from './db.ts'
import { createPgFlagStore } from './flag-store.ts'
import { lockCatalog } from './record-change.ts'
import { createPgSegmentStore } from './segment-store.ts'

/**
 * Imports on PostgreSQL: one transaction for the whole import. It takes the catalog lock first
 * (as every structural change does, so the lock order stays the one `flag-store.ts` describes),
 * then runs the ordinary flag and segment writes inside it — drizzle nests each of their
 * transactions as a savepoint of this one, so any failure rolls everything back.
 */
export function createPgImportStore(db: PgDb): ImportStore {
  return {
    importRules: (envKey, input, options) =>
      db.transaction(async (tx) => {
        await lockCatalog(tx)
        const flagStore = createPgFlagStore(tx)
        const segmentStore = createPgSegmentStore(tx)
        await flagStore.getEnvironment(envKey)
        const states = new Map((await flagStore.listStates(envKey)).map((s) => [s.key, s]))
        const segments = new Map((await segmentStore.list(envKey)).map((s) => [s.key, s]))
        const outcome = decideImport(envKey, { states, segments }, input, options.overwrite)
        if (options.dryRun) return { outcome, changes: [] }
        const changes: EnvChange[] = []
        for (const [i, segment] of input.segments.entries()) {
          const action = outcome.segments[i]!.action
          if (action === 'unchanged') continue
          const { committed } = await segmentStore.put(envKey, segment, { actor: options.actor, create: action === 'create' })
          changes.push(committed)
        }
        for (const [i, flag] of input.flags.entries()) {
          const action = outcome.flags[i]!.action
          if (action === 'unchanged') continue
          if (action === 'create')
            changes.push(...(await flagStore.createFlag({ key: flag.key, description: flag.description, tags: [], clientSide: false }, options.actor)))
          const { committed } = await flagStore.updateState(envKey, flag.key, {
            actor: options.actor,
            action: 'flag.import',
            details: { source: options.source },
            update: () => ({ enabled: flag.enabled, cohorts: flag.cohorts }),
          })
          changes.push(committed)
        }
        return { outcome, changes }
      }),
  }
}
