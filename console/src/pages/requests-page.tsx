import type * as shapes from '../../../api-shapes/index.ts'
import { useState } from 'hono/jsx/dom'
import { useApp } from '../app-context.ts'
import { ChangeRequestCard, loadPending, statusWords } from '../components/change-request-card.tsx'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { useLive } from '../hooks/use-live.ts'

/**
 * The change-request inbox of one environment: every pending request with its diff, for
 * approvers to approve or reject. A protected environment holds changes to flag states here.
 */
export function RequestsPage() {
  const { api, env, environments, requestsTick, requestsChanged } = useApp()
  const environment = environments.find((e) => e.key === env)
  const [items, setItems] = useState<shapes.ChangeRequest[] | null>(null)
  const [error, setError] = useState<string | undefined>(undefined)
  const [changes, setChanges] = useState(0)
  // The last decision made here stays said after its card leaves the list of pending requests.
  const [decided, setDecided] = useState<string | undefined>(undefined)
  const onChanged = (next: shapes.ChangeRequest) => {
    setDecided(`Change request #${next.id} (${next.flag}): ${statusWords(next)}.`)
    requestsChanged()
  }
  // A flag change may apply or outdate a request: read the inbox again.
  useLive(() => setChanges((n) => n + 1))
  useCommitEffect(() => {
    loadPending(api, env).then(
      (list) => {
        setItems(list)
        setError(undefined)
      },
      (e: Error) => setError(e.message),
    )
  }, [api, env, requestsTick, changes])
  const approvals = environment?.approvals ?? 0
  return (
    <div class="requests-page">
      <h1>Change requests</h1>
      <p class="muted">
        {approvals > 0
          ? `${environment?.name ?? env} is protected: a change to a flag's state needs ${approvals} approval${approvals === 1 ? '' : 's'} from someone other than its author. Turning a flag off never waits.`
          : `${environment?.name ?? env} is not protected: changes apply at once.`}
      </p>
      {error ? (
        <p class="form-error" role="alert">
          Could not load change requests: {error}
        </p>
      ) : null}
      {decided ? (
        <p class="notice" role="status" data-decided>
          {decided}
        </p>
      ) : null}
      {items === null && !error ? <p class="loading">Loading…</p> : null}
      {items?.length === 0 ? <p>No change request is waiting in {environment?.name ?? env}.</p> : null}
      {items?.map((r) => <ChangeRequestCard key={r.id} request={r} showFlag={true} onChanged={onChanged} />)}
    </div>
  )
}
