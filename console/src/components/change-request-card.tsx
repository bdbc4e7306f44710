import * as shapes from '../../../api-shapes/index.ts'
import { useState } from 'hono/jsx/dom'
import type { ApiError } from '../api/http.ts'
import { useApp } from '../app-context.ts'
import { auditDiff } from '../lib/audit-diff.ts'
import { formatTime } from '../lib/format.ts'
import { actorText } from '../../../api-shapes/audit-words.ts'
import { DiffTable } from './diff-table.tsx'

/** The request's state in words: what it waits for, or what became of it. */
export function statusWords(r: shapes.ChangeRequest): string {
  if (r.status === 'open') return `needs ${shapes.approvalsInWords(shapes.approvalsMissing(r))} more`
  if (r.status === 'approved') return r.applyAt === null ? 'approved' : `approved, applies ${formatTime(r.applyAt)}`
  if (r.status === 'applied') return `applied as version ${r.appliedVersion ?? '?'}`
  return `${r.status} by ${actorText(r.decidedBy ?? '?')}`
}

/** The diff as the audit log shows one: field by field, before and after, in words. */
const linesOf = (r: shapes.ChangeRequest) =>
  auditDiff(
    Object.fromEntries(r.diff.map((d) => [d.field, d.before])),
    Object.fromEntries(r.diff.map((d) => [d.field, d.after])),
  )

/**
 * One change request: who proposed what (its diff against the version it was made from), its
 * approvals and comments, and the reviewer's buttons. Whether this key may approve is the
 * server's answer (the author may not): a refusal is shown, never hidden by the page.
 */
export function ChangeRequestCard(props: {
  request: shapes.ChangeRequest
  showFlag: boolean
  /** After a decision: the request as it now stands (its card may leave a list of pending ones). */
  onChanged: (next: shapes.ChangeRequest) => void
}) {
  const { api, link } = useApp()
  const r = props.request
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>(undefined)
  const pending = shapes.PENDING_REQUEST_STATUSES.has(r.status)

  async function act(verb: 'approve' | 'reject') {
    setBusy(true)
    setMessage(undefined)
    try {
      const next = await api('POST', `/api/v1/change-requests/${r.id}/${verb}`, shapes.changeRequest, {})
      setMessage({ text: `Change request #${next.id}: ${statusWords(next)}.`, error: false })
      props.onChanged(next)
    } catch (e) {
      setMessage({ text: (e as ApiError).message, error: true })
    } finally {
      setBusy(false)
    }
  }

  return (
    <article class="change-request card" data-request={r.id} data-status={r.status} aria-labelledby={`request-${r.id}`}>
      <h3 id={`request-${r.id}`}>
        Change request #{r.id}
        {props.showFlag ? (
          <>
            {' '}
            · <a href={link({ page: 'flag', key: r.flag })}>{r.flag}</a>
          </>
        ) : null}
      </h3>
      <p class="muted">
        Proposed by <strong>{actorText(r.author)}</strong> at {formatTime(r.createdAt)}, from version {r.baseVersion} ·{' '}
        <span data-request-status>{statusWords(r)}</span> ({r.approvals.length} of {r.approvalsRequired} approvals
        {r.approvals.length ? `: ${r.approvals.map((a) => actorText(a.actor)).join(', ')}` : ''})
      </p>
      <DiffTable lines={linesOf(r)} />
      {r.comments.length ? (
        <ul class="comments">
          {r.comments.map((c) => (
            <li>
              {formatTime(c.at)} · <strong>{actorText(c.actor)}</strong>: {c.text}
            </li>
          ))}
        </ul>
      ) : null}
      {pending ? (
        <div class="actions">
          <button type="button" class="primary" disabled={busy} onClick={() => act('approve')}>
            Approve #{r.id}
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => act('reject')}>
            Reject #{r.id}
          </button>
        </div>
      ) : null}
      {message ? (
        <p class={message.error ? 'field-error' : 'notice'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      ) : null}
    </article>
  )
}

/** The pending requests of one environment (and flag, when given), newest first. */
export function loadPending(api: ReturnType<typeof useApp>['api'], env: string, flag?: string): Promise<shapes.ChangeRequest[]> {
  const query = (status: string) => {
    const params = new URLSearchParams({ env, status, limit: '100' })
    if (flag !== undefined) params.set('flag', flag)
    return api('GET', `/api/v1/change-requests?${params}`, shapes.changeRequestList)
  }
  return Promise.all([query('open'), query('approved')]).then(([open, approved]) =>
    [...open.items, ...approved.items].sort((a, b) => b.id - a.id),
  )
}
