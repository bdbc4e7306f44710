import { and, asc, eq } from 'drizzle-orm'
import type { Change } from '../../../sdk/core/changes.ts'
import type { Segment } from '../../../sdk/core/types.ts'
import { ConflictError, NotFoundError } from '../../errors.ts'
import type { SegmentStore } from '../contract.ts'
import type { PgDb, PgTx } from './db.ts'
import { bumpVersion, recordEnvChange } from './record-change.ts'
import { flagStates, segments } from './schema.ts'

type SegmentRow = typeof segments.$inferSelect

function toSegment({ key, description, userIds, conditions, version }: SegmentRow): Segment {
  return { key, description, userIds, conditions, version }
}

const segmentWhere = (envKey: string, key: string) =>
  and(eq(segments.envKey, envKey), eq(segments.key, key))

/** Flags of the environment whose cohorts reference the segment. */
async function flagsUsing(tx: PgTx, envKey: string, key: string): Promise<string[]> {
  const rows = await tx
    .select()
    .from(flagStates)
    .where(eq(flagStates.envKey, envKey))
    .orderBy(asc(flagStates.flagKey))
  return rows
    .filter((row) =>
      row.cohorts.some((c) =>
        c.conditions.some((cond) => 'segment' in cond && cond.segment === key),
      ),
    )
    .map((row) => row.flagKey)
}

/**
 * Segments on PostgreSQL. Each write claims the environment's next version first: that row lock
 * queues every writer of the environment, so the reads that follow (does it exist, which version,
 * which flags use it) see everything committed before and nothing can slip in until commit.
 */
export function createPgSegmentStore(db: PgDb): SegmentStore {
  return {
    list: async (envKey) =>
      (
        await db
          .select()
          .from(segments)
          .where(eq(segments.envKey, envKey))
          .orderBy(asc(segments.key))
      ).map(toSegment),

    async get(envKey, key) {
      const [row] = await db.select().from(segments).where(segmentWhere(envKey, key))
      if (!row) throw new NotFoundError(`segment ${key} in environment ${envKey}`)
      return toSegment(row)
    },

    put: (envKey, input, options) =>
      db.transaction(async (tx) => {
        const version = await bumpVersion(tx, envKey)
        const [row] = await tx.select().from(segments).where(segmentWhere(envKey, input.key))
        if (options.create && row)
          throw new ConflictError(`segment ${input.key} already exists in ${envKey}`)
        if (!options.create && !row)
          throw new NotFoundError(`segment ${input.key} in environment ${envKey}`)
        if (row && options.expectedVersion !== undefined && row.version !== options.expectedVersion)
          throw new ConflictError(
            `segment ${input.key} changed since version ${options.expectedVersion} (now ${row.version}); reload and retry`,
            { current: toSegment(row) },
          )
        const values = {
          envKey,
          ...input,
          description: input.description ?? '',
          version,
          updatedAt: Date.now(),
        }
        const [saved] = await tx
          .insert(segments)
          .values(values)
          .onConflictDoUpdate({ target: [segments.envKey, segments.key], set: values })
          .returning()
        const segment = toSegment(saved!)
        const committed = await recordEnvChange(
          tx,
          envKey,
          { type: 'segment', version, segment },
          {
            actor: options.actor,
            action: row ? 'segment.update' : 'segment.create',
            before: row ? toSegment(row) : null,
            after: segment,
            details: { segment: input.key },
          },
        )
        return { segment, committed }
      }),

    remove: (envKey, key, actor) =>
      db.transaction(async (tx) => {
        const version = await bumpVersion(tx, envKey)
        const [row] = await tx.select().from(segments).where(segmentWhere(envKey, key))
        if (!row) throw new NotFoundError(`segment ${key} in environment ${envKey}`)
        const users = await flagsUsing(tx, envKey, key)
        if (users.length > 0)
          throw new ConflictError(`segment ${key} is used by flags: ${users.join(', ')}`, {
            flags: users,
          })
        await tx.delete(segments).where(segmentWhere(envKey, key))
        const change: Change = { type: 'segment_deleted', version, key }
        return recordEnvChange(tx, envKey, change, {
          actor,
          action: 'segment.delete',
          before: toSegment(row),
          details: { segment: key },
        })
      }),
  }
}
