import {
  approvalsInWords,
  approvalsMissing,
  MAX_APPROVALS,
  PENDING_REQUEST_STATUSES,
  type ChangeRequest,
  type FieldDiff,
  type ProposedChange,
} from '../../api-shapes/change-requests.ts'
import { ConflictError, ForbiddenError, ValidationError } from '../errors.ts'

/**
 * The rules of change requests, pure: which writes a protected environment holds, and what each
 * step (approve, reject, withdraw, comment, schedule, apply) may do to a request. The service
 * reads, asks here, and writes through the store; nothing here does I/O or reads a clock.
 */

/** What a request's transition writes; the store stamps `updatedAt`. */
export type RequestPatch = Partial<Pick<ChangeRequest, 'status' | 'approvals' | 'comments' | 'applyAt' | 'decidedBy'>>

/** The longest comment kept (a review note, not a document). */
export const MAX_COMMENT_LENGTH = 4000

/**
 * Turning a flag off and nothing else: the kill switch, which a protected environment never
 * holds (safety first: stopping a bad release must not wait for a second person).
 */
export function isKillSwitch(change: ProposedChange): boolean {
  return change.kind === 'state' && change.enabled === false && change.cohorts === undefined && change.stickiness === undefined
}

/** 400 naming `approvals` unless it is a count a protected environment can have (1–10). */
export function checkApprovalsCount(approvals: number): void {
  if (!Number.isInteger(approvals) || approvals < 1 || approvals > MAX_APPROVALS)
    throw new ValidationError(`approvals: must be a whole number from 1 to ${MAX_APPROVALS}, not ${approvals}`)
}

/** Each field a patch changes, with its value in `current` and the proposed one. */
export function diffOf(current: object, patch: object): FieldDiff[] {
  const before = current as Record<string, unknown>
  return Object.entries(patch)
    .filter(([, after]) => after !== undefined)
    .map(([field, after]) => ({ field, before: before[field] ?? null, after }))
}

const label = (request: Pick<ChangeRequest, 'id'>) => `change request #${request.id}`

function requirePending(request: ChangeRequest, doing: string): void {
  if (!PENDING_REQUEST_STATUSES.has(request.status))
    throw new ConflictError(`${label(request)} is ${request.status}: it cannot be ${doing}`, { status: request.status })
}

/**
 * An approval by `actor`: refused for the author (403), a second approval by the same actor
 * (409), or a request that is no longer pending (409). Enough distinct approvals make it `approved`.
 */
export function decideApproval(request: ChangeRequest, actor: string, at: number): RequestPatch {
  requirePending(request, 'approved')
  if (actor === request.author) throw new ForbiddenError(`the author of ${label(request)} cannot approve it; another approver must`)
  if (request.approvals.some((a) => a.actor === actor)) throw new ConflictError(`${label(request)} is already approved by ${actor}`)
  const approvals = [...request.approvals, { actor, at }]
  return { approvals, status: approvals.length >= request.approvalsRequired ? 'approved' : 'open' }
}

/** A rejection: any approver but the author (who withdraws instead), while pending. */
export function decideRejection(request: ChangeRequest, actor: string): RequestPatch {
  requirePending(request, 'rejected')
  if (actor === request.author) throw new ForbiddenError(`the author of ${label(request)} withdraws it rather than rejecting it`)
  return { status: 'rejected', decidedBy: actor }
}

/** A withdrawal: by its author only, while pending. */
export function decideWithdrawal(request: ChangeRequest, actor: string): RequestPatch {
  requirePending(request, 'withdrawn')
  if (actor !== request.author) throw new ForbiddenError(`only the author of ${label(request)} (${request.author}) may withdraw it`)
  return { status: 'withdrawn', decidedBy: actor }
}

/** A comment, on a request in any status (a post-mortem note is welcome too). */
export function decideComment(request: ChangeRequest, actor: string, text: string, at: number): RequestPatch {
  if (text.trim() === '') throw new ValidationError('text: must not be empty')
  if (text.length > MAX_COMMENT_LENGTH) throw new ValidationError(`text: at most ${MAX_COMMENT_LENGTH} characters`)
  return { comments: [...request.comments, { actor, at, text }] }
}

/** A schedule (`applyAt` in the future) or its removal (null), while pending. */
export function decideSchedule(request: ChangeRequest, applyAt: number | null, now: number): RequestPatch {
  requirePending(request, 'scheduled')
  if (applyAt !== null && applyAt <= now) throw new ValidationError(`applyAt: must be in the future (now is ${new Date(now).toISOString()})`)
  return { applyAt }
}

/** 409 unless the request has all its approvals and is not yet applied or closed. */
export function checkReadyToApply(request: ChangeRequest): void {
  requirePending(request, 'applied')
  const missing = approvalsMissing(request)
  if (request.status !== 'approved' || missing > 0)
    throw new ConflictError(
      `${label(request)} needs ${approvalsInWords(missing)} more (${request.approvals.length} of ${request.approvalsRequired}) before it can be applied`,
      { approvals: request.approvals.length, approvalsRequired: request.approvalsRequired },
    )
}

/** 409 when the flag's state moved on since the request was made: it must never be applied over that. */
export function checkNotStale(request: ChangeRequest, currentVersion: number): void {
  if (currentVersion !== request.baseVersion)
    throw new ConflictError(
      `${label(request)} is stale: flag ${request.flag} in ${request.environment} changed since the request was made ` +
        `(version ${request.baseVersion}, now ${currentVersion}); nothing was applied — withdraw it and propose the change again`,
      { baseVersion: request.baseVersion, currentVersion },
    )
}

/** What the applied change's audit entry says of the request: its id, author and approvers. */
export function approvalOf(request: ChangeRequest): { request: number; author: string; approvers: string[] } {
  return { request: request.id, author: request.author, approvers: request.approvals.map((a) => a.actor) }
}
