import { and, asc, eq } from 'drizzle-orm'
import type { Change } from '../../sdk/core/changes.ts'
import type { Segment } from '../../sdk/core/types.ts'
import { ConflictError, NotFoundError } from '../errors.ts'
import type { Db } from './db.ts'
import { bumpVersion, recordEnvChange } from './record-change.ts'
import { flagStates, segments } from './schema.ts'

export type SegmentInput = Omit<Segment, 'version'>

type SegmentRow = typeof segments.$inferSelect

function toSegment({ key, description, userIds, conditions, version }: SegmentRow): Segment {
  return { key, description, userIds, conditions, version }
}

const segmentWhere = (envKey: string, key: string) =>
  and(eq(segments.envKey, envKey), eq(segments.key, key))

/** Flags of the environment whose cohorts reference the segment. */
function flagsUsing(tx: Pick<Db, 'select'>, envKey: string, key: string): string[] {
  return tx
    .select()
    .from(flagStates)
    .where(eq(flagStates.envKey, envKey))
    .all()
    .filter((row) => row.cohorts.some((c) => c.conditions.some((cond) => 'segment' in cond && cond.segment === key)))
    .map((row) => row.flagKey)
}

/** Segments of one environment; every change is versioned and streamed like a flag change. */
export function createSegmentStore(db: Db) {
  return {
    list(envKey: string): Segment[] {
      return db.select().from(segments).where(eq(segments.envKey, envKey)).orderBy(asc(segments.key)).all().map(toSegment)
    },

    get(envKey: string, key: string): Segment {
      const row = db.select().from(segments).where(segmentWhere(envKey, key)).get()
      if (!row) throw new NotFoundError(`segment ${key} in environment ${envKey}`)
      return toSegment(row)
    },

    /** Creates (`expectedVersion` null) or replaces a segment, checking the version it was based on. */
    put(
      envKey: string,
      input: SegmentInput,
      options: { actor: string; create: boolean; expectedVersion?: number | undefined },
    ): { segment: Segment; change: Change } {
      return db.transaction((tx) => {
        const row = tx.select().from(segments).where(segmentWhere(envKey, input.key)).get()
        if (options.create && row) throw new ConflictError(`segment ${input.key} already exists in ${envKey}`)
        if (!options.create && !row) throw new NotFoundError(`segment ${input.key} in environment ${envKey}`)
        if (row && options.expectedVersion !== undefined && row.version !== options.expectedVersion)
          throw new ConflictError(
            `segment ${input.key} changed since version ${options.expectedVersion} (now ${row.version}); reload and retry`,
            { current: toSegment(row) },
          )
        const version = bumpVersion(tx, envKey)
        const values = { envKey, ...input, description: input.description ?? '', version, updatedAt: Date.now() }
        const saved = tx
          .insert(segments)
          .values(values)
          .onConflictDoUpdate({ target: [segments.envKey, segments.key], set: values })
          .returning()
          .get()
        const segment = toSegment(saved)
        const change = recordEnvChange(tx, envKey, { type: 'segment', version, segment }, {
          actor: options.actor,
          action: row ? 'segment.update' : 'segment.create',
          before: row ? toSegment(row) : null,
          after: segment,
          details: { segment: input.key },
        })
        return { segment, change }
      })
    },

    /** Deletes a segment no flag uses; a segment in use would silently close those cohorts. */
    remove(envKey: string, key: string, actor: string): Change {
      return db.transaction((tx) => {
        const row = tx.select().from(segments).where(segmentWhere(envKey, key)).get()
        if (!row) throw new NotFoundError(`segment ${key} in environment ${envKey}`)
        const users = flagsUsing(tx, envKey, key)
        if (users.length > 0)
          throw new ConflictError(`segment ${key} is used by flags: ${users.join(', ')}`, { flags: users })
        tx.delete(segments).where(segmentWhere(envKey, key)).run()
        const change: Change = { type: 'segment_deleted', version: bumpVersion(tx, envKey), key }
        return recordEnvChange(tx, envKey, change, {
          actor,
          action: 'segment.delete',
          before: toSegment(row),
          details: { segment: key },
        })
      })
    },
  }
}

export type SegmentStore = ReturnType<typeof createSegmentStore>
