import * as z from 'zod/mini'
import { guardSettings } from './guard.ts'
import { cohort } from './rules.ts'
import { flagState, flagStateWrite } from './flags.ts'
import { guardRemoved, guardSet } from './guard-view.ts'

/**
 * Change requests of protected environments: a flag-state write held until enough approvers
 * other than its author approve it. One module for the stored JSON (parsed by the store), the
 * answers of `/api/v1/change-requests`, the CLI and the console.
 */

/** The most approvals an environment may ask for (an admin's typo must not lock it for good). */
export const MAX_APPROVALS = 10

/**
 * `open`: collecting approvals. `approved`: enough of them, waiting to be applied (at `applyAt`,
 * or at once when nothing is scheduled). The other three are final.
 */
export const CHANGE_REQUEST_STATUSES = ['open', 'approved', 'applied', 'rejected', 'withdrawn'] as const
export const changeRequestStatus = z.enum(CHANGE_REQUEST_STATUSES)
export type ChangeRequestStatus = z.infer<typeof changeRequestStatus>

/** Requests in these states may still be approved, rejected, withdrawn or applied. */
export const PENDING_REQUEST_STATUSES: ReadonlySet<ChangeRequestStatus> = new Set(['open', 'approved'])

/** The plan a request would start (the body of `PUT …/plan`, without its version). */
export const proposedPlan = z.object({
  cohort: z.string(),
  steps: z.array(z.number()),
  intervalSeconds: z.number(),
  maxWaitSeconds: z.optional(z.number()),
  replace: z.optional(z.boolean()),
})

/**
 * What a request would change, one kind per held write: the state patch (`PATCH` of a flag
 * state), one cohort's rollout, the guard set or removed, a plan started or resumed.
 */
export const proposedChange = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('state'),
    enabled: z.optional(z.boolean()),
    stickiness: z.optional(z.string()),
    cohorts: z.optional(z.array(cohort)),
  }),
  z.object({ kind: z.literal('rollout'), cohort: z.string(), rollout: z.number() }),
  z.object({ kind: z.literal('guard'), settings: guardSettings }),
  z.object({ kind: z.literal('guard_remove') }),
  z.object({ kind: z.literal('plan'), plan: proposedPlan }),
  z.object({ kind: z.literal('plan_resume') }),
])
export type ProposedChange = z.infer<typeof proposedChange>

/** One changed field of the flag state: its value at the base version and the proposed one. */
export const fieldDiff = z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })
export type FieldDiff = z.infer<typeof fieldDiff>

export const requestApproval = z.object({ actor: z.string(), at: z.number() })
export const requestComment = z.object({ actor: z.string(), at: z.number(), text: z.string() })

export const changeRequest = z.object({
  id: z.number(),
  environment: z.string(),
  flag: z.string(),
  /** Who proposed it (the actor of the write: `admin-key:ci`, later a person). */
  author: z.string(),
  change: proposedChange,
  /** The proposed change against the flag's state at `baseVersion`. */
  diff: z.array(fieldDiff),
  /** The flag state's version when proposed: applied only while the state is still at it. */
  baseVersion: z.number(),
  /** Distinct approvers other than the author it needs (the environment's count when proposed). */
  approvalsRequired: z.number(),
  status: changeRequestStatus,
  approvals: z.array(requestApproval),
  comments: z.array(requestComment),
  /** When it is applied once approved (epoch ms), or null: at once on the last approval. */
  applyAt: z.nullable(z.number()),
  /** Who rejected or withdrew it. */
  decidedBy: z.nullable(z.string()),
  /** The environment version its application produced. */
  appliedVersion: z.nullable(z.number()),
  createdAt: z.number(),
  updatedAt: z.number(),
})
export type ChangeRequest = z.infer<typeof changeRequest>

export const changeRequestList = z.object({ items: z.array(changeRequest), nextBefore: z.nullable(z.number()) })

/** The answer of a write a protected environment held (`202`). */
export const heldWrite = z.object({ held: z.literal(true), request: changeRequest })
export type HeldWrite = z.infer<typeof heldWrite>

/** What a state write answers: the new state, or the change request a protected environment made of it. */
export const stateWriteAnswer = z.union([heldWrite, flagStateWrite])
export const stateAnswer = z.union([heldWrite, flagState])
export const guardSetAnswer = z.union([heldWrite, guardSet])
export const guardRemovedAnswer = z.union([heldWrite, guardRemoved])

/** How many more approvals a request needs. */
export const approvalsMissing = (request: Pick<ChangeRequest, 'approvals' | 'approvalsRequired'>): number =>
  Math.max(0, request.approvalsRequired - request.approvals.length)

/** `1 approval`, `2 approvals`. */
export const approvalsInWords = (n: number): string => `${n} approval${n === 1 ? '' : 's'}`

/** `change request #4 created, needs 1 approval`: what a held write says, in the CLI and the console. */
export const heldText = (request: Pick<ChangeRequest, 'id' | 'approvals' | 'approvalsRequired'>): string =>
  `change request #${request.id} created, needs ${approvalsInWords(approvalsMissing(request))}`
