import { and, asc, eq } from 'drizzle-orm'
import type { Segment } from '../../../sdk/core/types.ts'
import type { SegmentStore } from '../contract.ts'
import {
  decideSegmentPut,
  decideSegmentRemove,
  flagsUsingSegment,
  found,
  missing,
  segmentRemoved,
  segmentSaved,
} from '../decisions.ts'
import { toSegment } from '../rows.ts'
import type { PgDb, PgTx } from './db.ts'
import { bumpVersion, recordEnvChange } from './record-change.ts'
import { flagStates, segments } from './schema.ts'

const segmentWhere = (envKey: string, key: string) =>
  and(eq(segments.envKey, envKey), eq(segments.key, key))

async function readSegment(tx: PgDb | PgTx, envKey: string, key: string): Promise<Segment | undefined> {
  const [row] = await tx.select().from(segments).where(segmentWhere(envKey, key))
  return row && toSegment(row)
}

/**
 * Segments on PostgreSQL. Each write claims the environment's next version first: that row lock
 * queues every writer of the environment, so the reads that follow (does it exist, which version,
 * which flags use it) see everything committed before and nothing can slip in until commit.
 */
export function createPgSegmentStore(db: PgDb): SegmentStore {
  return {
    list: async (envKey) =>
      (await db.select().from(segments).where(eq(segments.envKey, envKey)).orderBy(asc(segments.key))).map(
        toSegment,
      ),

    get: async (envKey, key) => found(await readSegment(db, envKey, key), () => missing.segment(envKey, key)),

    put: (envKey, input, options) =>
      db.transaction(async (tx) => {
        const version = await bumpVersion(tx, envKey)
        const existing = await readSegment(tx, envKey, input.key)
        const values = { envKey, ...decideSegmentPut(envKey, input, existing, options), version, updatedAt: Date.now() }
        const [saved] = await tx
          .insert(segments)
          .values(values)
          .onConflictDoUpdate({ target: [segments.envKey, segments.key], set: values })
          .returning()
        const segment = toSegment(saved!)
        const committed = await recordEnvChange(tx, envKey, segmentSaved(existing, segment, options.actor))
        return { segment, committed }
      }),

    remove: (envKey, key, actor) =>
      db.transaction(async (tx) => {
        const version = await bumpVersion(tx, envKey)
        const existing = await readSegment(tx, envKey, key)
        const states = existing
          ? await tx.select().from(flagStates).where(eq(flagStates.envKey, envKey)).orderBy(asc(flagStates.flagKey))
          : []
        const segment = decideSegmentRemove(envKey, key, existing, flagsUsingSegment(states, key))
        await tx.delete(segments).where(segmentWhere(envKey, key))
        return recordEnvChange(tx, envKey, segmentRemoved(segment, version, actor))
      }),
  }
}
