import type * as shapes from '../../../api-shapes/index.ts'
import { useState } from 'hono/jsx/dom'
import { useApp } from '../app-context.ts'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { ChangeRequestCard, loadPending } from './change-request-card.tsx'

/**
 * On a flag's page: the change requests waiting on this flag in this environment, with their
 * diff and the approve and reject buttons. Reloaded when the flag changes (`version`) and when
 * this console made or decided a request (`requestsTick`).
 */
export function RequestBanner(props: { flagKey: string; version: number }) {
  const { api, env, requestsTick, requestsChanged } = useApp()
  const [pending, setPending] = useState<shapes.ChangeRequest[]>([])
  const [error, setError] = useState<string | undefined>(undefined)
  useCommitEffect(() => {
    loadPending(api, env, props.flagKey).then(
      (items) => {
        setPending(items)
        setError(undefined)
      },
      (e: Error) => setError(e.message),
    )
  }, [api, env, props.flagKey, props.version, requestsTick])
  if (error) return <p class="form-error" role="alert">Could not load change requests: {error}</p>
  if (pending.length === 0) return null
  return (
    <section class="request-banner" role="status" aria-labelledby="request-banner-heading">
      <h2 id="request-banner-heading">
        {pending.length === 1 ? 'A change request is pending' : `${pending.length} change requests are pending`} for this flag
      </h2>
      <p class="muted">Nothing below changes until an approver other than its author approves it.</p>
      {pending.map((r) => (
        <ChangeRequestCard key={r.id} request={r} showFlag={false} onChanged={() => requestsChanged()} />
      ))}
    </section>
  )
}
