import { and, asc, desc, eq, isNotNull, lt, lte, type SQL } from 'drizzle-orm'
import type { AppliedApproval, ChangeRequestStore } from '../contract.ts'
import { found, missing } from '../decisions.ts'
import {
  missingRequest,
  newRequestRow,
  notApprovedAnyMore,
  requestCreated,
  requestPatchRow,
  requestUpdated,
  toChangeRequest,
} from '../request-decisions.ts'
import type { PgDb, PgTx } from './db.ts'
import { recordAudit } from './record-change.ts'
import { changeRequests, environments } from './schema.ts'

/**
 * Inside a flag-state update's transaction: the request it applies turns `approved` → `applied`
 * in one conditional statement, so of replicas applying the same request (the scheduler on two
 * of them, or a person and the scheduler) exactly one commits; the others roll back whole.
 */
export async function settleRequest(tx: PgTx, approval: AppliedApproval, version: number, at: number): Promise<void> {
  const [settled] = await tx
    .update(changeRequests)
    .set({ status: 'applied', appliedVersion: version, updatedAt: at })
    .where(and(eq(changeRequests.id, approval.request), eq(changeRequests.status, 'approved')))
    .returning({ id: changeRequests.id })
  if (!settled) throw notApprovedAnyMore(approval)
}

/** Change requests on PostgreSQL: a transition locks its row (FOR UPDATE), so concurrent approvals queue. */
export function createPgRequestStore(db: PgDb): ChangeRequestStore {
  const read = async (tx: PgDb | PgTx, id: number, lock: boolean) => {
    const query = tx.select().from(changeRequests).where(eq(changeRequests.id, id))
    const [row] = await (lock ? query.for('update') : query)
    return toChangeRequest(found(row, () => missingRequest(id)))
  }
  return {
    create: (input) =>
      db.transaction(async (tx) => {
        const [env] = await tx.select({ key: environments.key }).from(environments).where(eq(environments.key, input.environment))
        found(env, () => missing.environment(input.environment))
        const [row] = await tx.insert(changeRequests).values(newRequestRow(input)).returning()
        const request = toChangeRequest(row!)
        await recordAudit(tx, requestCreated(request))
        return request
      }),

    get: (id) => read(db, id, false),

    async list({ status, env, flag, before, limit }) {
      const where: Array<SQL | undefined> = [
        status === undefined ? undefined : eq(changeRequests.status, status),
        env === undefined ? undefined : eq(changeRequests.envKey, env),
        flag === undefined ? undefined : eq(changeRequests.flagKey, flag),
        before === undefined ? undefined : lt(changeRequests.id, before),
      ]
      const rows = await db.select().from(changeRequests).where(and(...where)).orderBy(desc(changeRequests.id)).limit(limit)
      return rows.map(toChangeRequest)
    },

    update: (id, options) =>
      db.transaction(async (tx) => {
        const before = await read(tx, id, true)
        const patch = options.decide(before)
        const [row] = await tx.update(changeRequests).set(requestPatchRow(patch, options.at)).where(eq(changeRequests.id, id)).returning()
        const after = toChangeRequest(row!)
        await recordAudit(tx, requestUpdated(before, after, options))
        return after
      }),

    async due(now) {
      const rows = await db
        .select()
        .from(changeRequests)
        .where(and(eq(changeRequests.status, 'approved'), isNotNull(changeRequests.applyAt), lte(changeRequests.applyAt, now)))
        .orderBy(asc(changeRequests.id))
      return rows.map(toChangeRequest)
    },
  }
}
