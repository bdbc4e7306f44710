import { changeRequest, type ChangeRequest } from '../../api-shapes/change-requests.ts'
import { storedJson } from '../domain/stored-json.ts'
import type { RequestPatch } from '../domain/change-requests.ts'
import { ConflictError, NotFoundError } from '../errors.ts'
import type { AppliedApproval, Environment, NewChangeRequest, RequestUpdate } from './contract.ts'
import type { AuditEntry } from './decisions.ts'

/**
 * The dialect-free half of change requests and environment protection in the store: rows to and
 * from the contract's shapes, the audit entries, the refusals. The dialects keep only their SQL,
 * locks and transactions (`request-store.ts`, `pg/request-store.ts`).
 */

/** A change request row as both dialects read it (JSON columns parsed by `toChangeRequest`). */
export interface RequestRowFields {
  id: number
  envKey: string
  flagKey: string
  author: string
  change: unknown
  diff: unknown
  baseVersion: number
  approvalsRequired: number
  status: string
  approvals: unknown
  comments: unknown
  applyAt: number | null
  decidedBy: string | null
  appliedVersion: number | null
  createdAt: number
  updatedAt: number
}

/** The row of a new request. */
export function newRequestRow(input: NewChangeRequest) {
  return {
    envKey: input.environment,
    flagKey: input.flag,
    author: input.author,
    change: input.change,
    diff: input.diff,
    baseVersion: input.baseVersion,
    approvalsRequired: input.approvalsRequired,
    status: 'open',
    approvals: [],
    comments: [],
    applyAt: input.applyAt,
    createdAt: input.at,
    updatedAt: input.at,
  }
}

/** A stored request, parsed (a row that does not fit is a StoredDataError naming it). */
export function toChangeRequest(row: RequestRowFields): ChangeRequest {
  const { envKey, flagKey, ...rest } = row
  return storedJson(changeRequest, { ...rest, environment: envKey, flag: flagKey }, `change request #${row.id}`)
}

/** The columns a transition writes. */
export function requestPatchRow(patch: RequestPatch, at: number) {
  return { ...patch, updatedAt: at }
}

export const missingRequest = (id: number) => new NotFoundError(`change request #${id}`)

export function requestCreated(request: ChangeRequest): AuditEntry {
  return {
    actor: request.author,
    action: 'request.create',
    flagKey: request.flag,
    envKey: request.environment,
    after: { id: request.id, change: request.change, diff: request.diff },
    details: { request: request.id, baseVersion: request.baseVersion, approvalsRequired: request.approvalsRequired, applyAt: request.applyAt },
  }
}

export function requestUpdated(before: ChangeRequest, after: ChangeRequest, options: RequestUpdate): AuditEntry {
  const pick = (r: ChangeRequest) => ({ id: r.id, status: r.status, approvals: r.approvals.map((a) => a.actor), applyAt: r.applyAt, comments: r.comments.length })
  return {
    actor: options.actor,
    action: options.action,
    flagKey: after.flag,
    envKey: after.environment,
    before: pick(before),
    after: pick(after),
    details: { request: after.id, author: after.author, ...(options.details as object | undefined) },
  }
}

/** A request that was not `approved` when its application was about to commit: nothing is written. */
export const notApprovedAnyMore = (approval: AppliedApproval) =>
  new ConflictError(`change request #${approval.request} is no longer approved (applied, withdrawn or rejected meanwhile); nothing was applied`)

/** The audit details of a state update that applies a request: the caller's details plus the approval. */
export function withApproval(details: unknown, approval: AppliedApproval | undefined): unknown {
  if (!approval) return details
  const base = typeof details === 'object' && details !== null && !Array.isArray(details) ? details : details === undefined ? {} : { value: details }
  return { ...base, approval }
}

export function protectionSet(before: Environment, approvals: number, actor: string): AuditEntry {
  return {
    actor,
    action: approvals > 0 ? 'environment.protect' : 'environment.unprotect',
    envKey: before.key,
    before: { key: before.key, approvals: before.approvals },
    after: { key: before.key, approvals },
  }
}
