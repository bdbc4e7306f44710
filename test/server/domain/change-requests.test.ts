import { describe, expect, it } from 'vitest'
import type { ChangeRequest } from '../../../api-shapes/change-requests.ts'
import {
  checkApprovalsCount,
  checkNotStale,
  checkReadyToApply,
  decideApproval,
  decideComment,
  decideRejection,
  decideSchedule,
  decideWithdrawal,
  diffOf,
  isKillSwitch,
} from '../../../server/domain/change-requests.ts'
import { ConflictError, ForbiddenError, ValidationError } from '../../../server/errors.ts'

/** The pure rules of change requests: who may do what to a request, and which writes are held. */

const request = (over: Partial<ChangeRequest> = {}): ChangeRequest => ({
  id: 7,
  environment: 'production',
  flag: 'checkout',
  author: 'admin-key:ann',
  change: { kind: 'state', enabled: true },
  diff: [{ field: 'enabled', before: false, after: true }],
  baseVersion: 12,
  approvalsRequired: 2,
  status: 'open',
  approvals: [],
  comments: [],
  applyAt: null,
  decidedBy: null,
  appliedVersion: null,
  createdAt: 1,
  updatedAt: 1,
  ...over,
})

describe('change-request rules', () => {
  it('the kill switch is off and nothing else', () => {
    expect(isKillSwitch({ kind: 'state', enabled: false })).toBe(true)
    expect(isKillSwitch({ kind: 'state', enabled: true })).toBe(false)
    expect(isKillSwitch({ kind: 'state', enabled: false, cohorts: [] })).toBe(false)
    expect(isKillSwitch({ kind: 'state', enabled: false, stickiness: 'accountId' })).toBe(false)
    expect(isKillSwitch({ kind: 'guard_remove' })).toBe(false)
  })

  it('an environment needs 1 to 10 approvals, whole', () => {
    for (const bad of [0, 11, 1.5, -1]) expect(() => checkApprovalsCount(bad)).toThrow(/^approvals: /)
    for (const good of [1, 10]) expect(() => checkApprovalsCount(good)).not.toThrow()
  })

  it('a diff lists the fields the patch sets, with the current value', () => {
    expect(diffOf({ enabled: false, cohorts: [] }, { enabled: true, cohorts: undefined })).toEqual([{ field: 'enabled', before: false, after: true }])
    expect(diffOf({ guard: null }, { guard: { maxErrorRate: 0.1 } })).toEqual([{ field: 'guard', before: null, after: { maxErrorRate: 0.1 } }])
  })

  it('approvals: never the author, once per actor, approved when enough', () => {
    expect(() => decideApproval(request(), 'admin-key:ann', 5)).toThrow(ForbiddenError)
    const first = decideApproval(request(), 'admin-key:bob', 5)
    expect(first).toEqual({ approvals: [{ actor: 'admin-key:bob', at: 5 }], status: 'open' })
    const once = request({ approvals: first.approvals! })
    expect(() => decideApproval(once, 'admin-key:bob', 6)).toThrow(/already approved by admin-key:bob/)
    expect(decideApproval(once, 'admin-key:cy', 6).status).toBe('approved')
    for (const status of ['applied', 'rejected', 'withdrawn'] as const)
      expect(() => decideApproval(request({ status }), 'admin-key:bob', 5)).toThrow(ConflictError)
  })

  it('rejection by another; withdrawal by the author; both only while pending', () => {
    expect(() => decideRejection(request(), 'admin-key:ann')).toThrow(ForbiddenError)
    expect(decideRejection(request(), 'admin-key:bob')).toEqual({ status: 'rejected', decidedBy: 'admin-key:bob' })
    expect(() => decideWithdrawal(request(), 'admin-key:bob')).toThrow(/only the author/)
    expect(decideWithdrawal(request({ status: 'approved' }), 'admin-key:ann')).toEqual({ status: 'withdrawn', decidedBy: 'admin-key:ann' })
    expect(() => decideWithdrawal(request({ status: 'applied' }), 'admin-key:ann')).toThrow(/is applied/)
  })

  it('comments and schedules are checked', () => {
    expect(() => decideComment(request(), 'x', '  ', 1)).toThrow(ValidationError)
    expect(decideComment(request(), 'x', 'ok', 1)).toEqual({ comments: [{ actor: 'x', at: 1, text: 'ok' }] })
    expect(() => decideSchedule(request(), 100, 100)).toThrow(/^applyAt: /)
    expect(decideSchedule(request(), 101, 100)).toEqual({ applyAt: 101 })
    expect(decideSchedule(request(), null, 100)).toEqual({ applyAt: null })
  })

  it('applied only when approved and at its base version', () => {
    expect(() => checkReadyToApply(request({ approvals: [{ actor: 'b', at: 1 }] }))).toThrow(/needs 1 approval more \(1 of 2\)/)
    expect(() => checkReadyToApply(request({ status: 'approved', approvals: [{ actor: 'b', at: 1 }, { actor: 'c', at: 1 }] }))).not.toThrow()
    expect(() => checkReadyToApply(request({ status: 'withdrawn' }))).toThrow(/is withdrawn/)
    expect(() => checkNotStale(request(), 13)).toThrow(/stale: .*version 12, now 13/)
    expect(() => checkNotStale(request(), 12)).not.toThrow()
  })
})
