import { and, asc, eq } from 'drizzle-orm'
import type { Segment } from '../../sdk/core/types.ts'
import type { SegmentStore } from './contract.ts'
import type { Db } from './db.ts'
import {
  decideSegmentPut,
  decideSegmentRemove,
  flagsUsingSegment,
  found,
  missing,
  segmentRemoved,
  segmentSaved,
} from './decisions.ts'
import { bumpVersion, recordEnvChange, type Tx } from './record-change.ts'
import { toSegment } from './rows.ts'
import { flagStates, segments } from './schema.ts'

const segmentWhere = (envKey: string, key: string) =>
  and(eq(segments.envKey, envKey), eq(segments.key, key))

const readSegment = (tx: Tx | Db, envKey: string, key: string): Segment | undefined => {
  const row = tx.select().from(segments).where(segmentWhere(envKey, key)).get()
  return row && toSegment(row)
}

/** One environment's segments by key, read synchronously (for reads sharing one transaction). */
export function readSegments(db: Tx | Db, envKey: string): Segment[] {
  return db.select().from(segments).where(eq(segments.envKey, envKey)).orderBy(asc(segments.key)).all().map(toSegment)
}

/** Segments of one environment on SQLite: read, decide (`decisions.ts`), write, one transaction each. */
export function createSqliteSegmentStore(db: Db): SegmentStore {
  return {
    list: async (envKey) => readSegments(db, envKey),

    get: async (envKey, key) => found(readSegment(db, envKey, key), () => missing.segment(envKey, key)),

    async put(envKey, input, options) {
      return db.transaction((tx) => {
        const existing = readSegment(tx, envKey, input.key)
        const columns = decideSegmentPut(envKey, input, existing, options)
        const version = bumpVersion(tx, envKey)
        const values = { envKey, ...columns, version, updatedAt: Date.now() }
        const saved = tx
          .insert(segments)
          .values(values)
          .onConflictDoUpdate({ target: [segments.envKey, segments.key], set: values })
          .returning()
          .get()
        const segment = toSegment(saved)
        const committed = recordEnvChange(tx, envKey, segmentSaved(existing, segment, options.actor))
        return { segment, committed }
      })
    },

    async remove(envKey, key, actor) {
      return db.transaction((tx) => {
        const states = tx.select().from(flagStates).where(eq(flagStates.envKey, envKey)).all()
        const segment = decideSegmentRemove(envKey, key, readSegment(tx, envKey, key), flagsUsingSegment(states, key))
        tx.delete(segments).where(segmentWhere(envKey, key)).run()
        return recordEnvChange(tx, envKey, segmentRemoved(segment, bumpVersion(tx, envKey), actor))
      })
    },
  }
}
