import { and, asc, desc, eq, isNotNull, lt, lte, type SQL } from 'drizzle-orm'
import type { AppliedApproval, ChangeRequestStore } from './contract.ts'
import type { Db } from './db.ts'
import { found, missing } from './decisions.ts'
import { recordAudit, type Tx } from './record-change.ts'
import {
  missingRequest,
  newRequestRow,
  notApprovedAnyMore,
  requestCreated,
  requestPatchRow,
  requestUpdated,
  toChangeRequest,
} from './request-decisions.ts'
import { changeRequests, environments } from './schema.ts'

/**
 * Inside a flag-state update's transaction: the request it applies turns `approved` → `applied`,
 * or the whole update rolls back when it is no longer approved.
 */
export function settleRequest(tx: Tx, approval: AppliedApproval, version: number, at: number): void {
  const settled = tx
    .update(changeRequests)
    .set({ status: 'applied', appliedVersion: version, updatedAt: at })
    .where(and(eq(changeRequests.id, approval.request), eq(changeRequests.status, 'approved')))
    .returning({ id: changeRequests.id })
    .get()
  if (!settled) throw notApprovedAnyMore(approval)
}

/** Change requests on SQLite: one better-sqlite3 transaction per mutation (calls never interleave). */
export function createSqliteRequestStore(db: Db): ChangeRequestStore {
  const read = (tx: Tx | Db, id: number) => toChangeRequest(found(tx.select().from(changeRequests).where(eq(changeRequests.id, id)).get(), () => missingRequest(id)))
  return {
    async create(input) {
      return db.transaction((tx) => {
        found(tx.select({ key: environments.key }).from(environments).where(eq(environments.key, input.environment)).get(), () => missing.environment(input.environment))
        const request = toChangeRequest(tx.insert(changeRequests).values(newRequestRow(input)).returning().get())
        recordAudit(tx, requestCreated(request))
        return request
      })
    },

    get: async (id) => read(db, id),

    async list({ status, env, flag, before, limit }) {
      const where: Array<SQL | undefined> = [
        status === undefined ? undefined : eq(changeRequests.status, status),
        env === undefined ? undefined : eq(changeRequests.envKey, env),
        flag === undefined ? undefined : eq(changeRequests.flagKey, flag),
        before === undefined ? undefined : lt(changeRequests.id, before),
      ]
      return db.select().from(changeRequests).where(and(...where)).orderBy(desc(changeRequests.id)).limit(limit).all().map(toChangeRequest)
    },

    async update(id, options) {
      return db.transaction((tx) => {
        const before = read(tx, id)
        const patch = options.decide(before)
        const after = toChangeRequest(tx.update(changeRequests).set(requestPatchRow(patch, options.at)).where(eq(changeRequests.id, id)).returning().get()!)
        recordAudit(tx, requestUpdated(before, after, options))
        return after
      })
    },

    async due(now) {
      return db
        .select()
        .from(changeRequests)
        .where(and(eq(changeRequests.status, 'approved'), isNotNull(changeRequests.applyAt), lte(changeRequests.applyAt, now)))
        .orderBy(asc(changeRequests.id))
        .all()
        .map(toChangeRequest)
    },
  }
}
