import type { ChangeRequest, ChangeRequestStatus, ProposedChange } from '../../api-shapes/change-requests.ts'
import { mayApprove, maySee, type Identity } from '../auth/approvers.ts'
import {
  approvalOf,
  checkNotStale,
  checkReadyToApply,
  decideApproval,
  decideComment,
  decideRejection,
  decideSchedule,
  decideWithdrawal,
  diffOf,
  isKillSwitch,
  type RequestPatch,
} from '../domain/change-requests.ts'
import { ConflictError, ForbiddenError } from '../errors.ts'
import type { AppliedApproval, Store, StoredFlagState } from '../store/contract.ts'

/** The webhook events of change requests (each carries the request as the API shows it). */
export type RequestEvent =
  | 'change_request.created'
  | 'change_request.approved'
  | 'change_request.rejected'
  | 'change_request.withdrawn'
  | 'change_request.applied'
  | 'change_request.schedule_failed'

/** What the scheduler calls itself in comments and audit entries. */
const SCHEDULER = 'change-request-schedule'

export interface ChangeRequestDeps {
  store: Store
  now: () => number
  /**
   * The fields `change` would change on `current`, after the same checks as a direct write
   * (unknown cohort, segments, plan rules: 4xx naming the field). Empty: nothing would change.
   */
  preview: (current: StoredFlagState, change: ProposedChange) => Promise<object>
  /** Applies `change` through the same path as a direct write, with the approval settling the request. */
  apply: (
    request: ChangeRequest,
    options: { actor: string; expectedVersion: number; approval: AppliedApproval },
  ) => Promise<StoredFlagState>
  /** Delivers an event through the flag's guard webhook, if it has one (never throws). */
  notify: (request: ChangeRequest, event: RequestEvent) => void
  log: (message: string, error?: unknown) => void
}

/** What a protected environment does with a write: hold it as a request, or let it through. */
export type Gate = { held: ChangeRequest } | { held: null; emergency: boolean }

/**
 * A flag-state write in `environment`: held as a new request when the environment is
 * protected, unless it is the kill switch (then `emergency`: applied at once, audited as
 * such) or would change nothing (the write answers `changed: false` as anywhere else).
 * A stale `expectedVersion` is 409 here too, and the change is checked as a direct write is.
 */
async function gate(
  deps: ChangeRequestDeps,
  environment: string,
  flag: string,
  change: ProposedChange,
  options: { actor: string; expectedVersion?: number | undefined },
): Promise<Gate> {
  const { store, now, notify } = deps
  const env = await store.flags.getEnvironment(environment)
  if (env.approvals === 0) return { held: null, emergency: false }
  if (isKillSwitch(change)) return { held: null, emergency: true }
  const current = await store.flags.getState(environment, flag)
  if (options.expectedVersion !== undefined && options.expectedVersion !== current.version)
    throw new ConflictError(
      `flag ${flag} in ${environment} changed since version ${options.expectedVersion} (now ${current.version}); reload and retry`,
      { current },
    )
  const diff = diffOf(current, await deps.preview(current, change))
  if (diff.length === 0) return { held: null, emergency: false }
  const request = await store.requests.create({
    environment,
    flag,
    author: options.actor,
    change,
    diff,
    baseVersion: current.version,
    approvalsRequired: env.approvals,
    applyAt: null,
    at: now(),
  })
  notify(request, 'change_request.created')
  return { held: request }
}

/**
 * A scheduled request that could not be applied loses its schedule, with a comment saying why;
 * undefined when it was applied or closed meanwhile (by another replica or a person).
 */
async function dropSchedule(deps: ChangeRequestDeps, request: ChangeRequest, error: ConflictError): Promise<ChangeRequest | undefined> {
  const at = deps.now()
  const text = `scheduled application refused: ${error.message}`
  return deps.store.requests
    .update(request.id, {
      actor: SCHEDULER,
      action: 'request.schedule_failed',
      at,
      decide: (current) => {
        if (current.status !== 'approved' || current.applyAt === null) throw new ConflictError(`change request #${current.id} is ${current.status}`)
        return { applyAt: null, ...decideComment(current, SCHEDULER, text, at) }
      },
    })
    .catch((failure: unknown) => {
      if (!(failure instanceof ConflictError)) deps.log(`change request #${request.id}: could not record its failed schedule`, failure)
      return undefined
    })
}

/**
 * Change requests of protected environments: writes held as requests (`gate`), the review
 * (approve, reject, withdraw, comment) and their application — at once on the last approval,
 * on demand, or at `applyAt` by `applyDue` (the leader's tick). The rules are in
 * domain/change-requests.ts; applying is a flag-state update that settles the request in the
 * same transaction, against the request's base version.
 */
export function createChangeRequests(deps: ChangeRequestDeps) {
  const { store, now, notify } = deps

  /** The request, when the identity may read its environment (403 otherwise, 404 when there is none). */
  async function visible(id: number, identity: Identity): Promise<ChangeRequest> {
    const request = await store.requests.get(id)
    if (!maySee(identity, request.environment))
      throw new ForbiddenError(`${identity.actor} may not see change requests in ${request.environment}`)
    return request
  }

  function transition(request: ChangeRequest, identity: Identity | null, action: string, decide: (r: ChangeRequest) => RequestPatch, details?: object) {
    return store.requests.update(request.id, { actor: identity?.actor ?? SCHEDULER, action, at: now(), decide, details })
  }

  /** Applies an approved request now: 409 when it lacks approvals or its flag changed since. */
  async function applyNow(request: ChangeRequest, actor: string): Promise<ChangeRequest> {
    checkReadyToApply(request)
    const state = await store.flags.getState(request.environment, request.flag)
    checkNotStale(request, state.version)
    try {
      await deps.apply(request, { actor: request.author, expectedVersion: request.baseVersion, approval: approvalOf(request) })
    } catch (error) {
      // Another writer got in between the check above and the transaction: the same refusal.
      if (error instanceof ConflictError && (error.details as { current?: StoredFlagState } | undefined)?.current)
        checkNotStale(request, (error.details as { current: StoredFlagState }).current.version)
      throw error
    }
    const applied = await store.requests.get(request.id)
    deps.log(`change request #${request.id} applied by ${actor} (author ${request.author})`)
    notify(applied, 'change_request.applied')
    return applied
  }

  return {
    /** See {@link gate}: a write held as a request in a protected environment, or let through. */
    gate: (environment: string, flag: string, change: ProposedChange, options: { actor: string; expectedVersion?: number | undefined }) =>
      gate(deps, environment, flag, change, options),

    list(filter: { status?: ChangeRequestStatus | undefined; env?: string | undefined; flag?: string | undefined; before?: number | undefined; limit: number }) {
      return store.requests.list(filter)
    },

    get: visible,

    /** Approves; the last approval needed applies the request at once unless it is scheduled. */
    async approve(id: number, identity: Identity, comment?: string): Promise<ChangeRequest> {
      const request = await visible(id, identity)
      if (!mayApprove(identity, request.environment))
        throw new ForbiddenError(`${identity.actor} may not approve change requests in ${request.environment}`)
      // A stale request can never be applied: refuse its approvals too, recording nothing.
      checkNotStale(request, (await store.flags.getState(request.environment, request.flag)).version)
      const at = now()
      const approved = await transition(request, identity, 'request.approve', (current) => ({
        ...decideApproval(current, identity.actor, at),
        ...(comment !== undefined && decideComment(current, identity.actor, comment, at)),
      }))
      notify(approved, 'change_request.approved')
      if (approved.status !== 'approved' || approved.applyAt !== null) return approved
      return applyNow(approved, identity.actor).catch(async (error: unknown) => {
        // Two last approvals at once (two replicas): the other one applied it; this one is done too.
        const now = await store.requests.get(id)
        if (error instanceof ConflictError && now.status === 'applied') return now
        throw error
      })
    },

    async reject(id: number, identity: Identity, comment?: string): Promise<ChangeRequest> {
      const request = await visible(id, identity)
      if (!mayApprove(identity, request.environment))
        throw new ForbiddenError(`${identity.actor} may not reject change requests in ${request.environment}`)
      const at = now()
      const rejected = await transition(request, identity, 'request.reject', (current) => ({
        ...decideRejection(current, identity.actor),
        ...(comment !== undefined && decideComment(current, identity.actor, comment, at)),
      }))
      notify(rejected, 'change_request.rejected')
      return rejected
    },

    async withdraw(id: number, identity: Identity): Promise<ChangeRequest> {
      const request = await visible(id, identity)
      const withdrawn = await transition(request, identity, 'request.withdraw', (current) => decideWithdrawal(current, identity.actor))
      notify(withdrawn, 'change_request.withdrawn')
      return withdrawn
    },

    async comment(id: number, identity: Identity, text: string): Promise<ChangeRequest> {
      const request = await visible(id, identity)
      return transition(request, identity, 'request.comment', (current) => decideComment(current, identity.actor, text, now()))
    },

    /**
     * Applies an approved request now, or, with `applyAt`, schedules it (a pending request, before
     * or after its approvals; null clears the schedule). The author or any approver may.
     */
    async apply(id: number, identity: Identity, applyAt?: number | null): Promise<ChangeRequest> {
      const request = await visible(id, identity)
      if (identity.actor !== request.author && !mayApprove(identity, request.environment))
        throw new ForbiddenError(`${identity.actor} may not apply change requests in ${request.environment}`)
      if (applyAt === undefined) return applyNow(request, identity.actor)
      return transition(request, identity, 'request.schedule', (current) => decideSchedule(current, applyAt, now()), { applyAt })
    },

    /**
     * Applies every approved request whose `applyAt` has come (the leader's tick; on replicas
     * the store's conditional settle lets exactly one application commit). One that cannot be
     * applied (its flag changed since, or it is no longer approved) loses its schedule, with a
     * comment saying why, and its webhook hears of it; it is never retried in a loop.
     */
    async applyDue(): Promise<void> {
      for (const request of await store.requests.due(now())) {
        try {
          await applyNow(request, SCHEDULER)
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error
          const dropped = await dropSchedule(deps, request, error)
          if (dropped) notify(dropped, 'change_request.schedule_failed')
        }
      }
    },
  }
}

export type ChangeRequests = ReturnType<typeof createChangeRequests>
