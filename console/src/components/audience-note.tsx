import { formatCount, formatPercent } from '../lib/format.ts'
import type { AudienceEstimate } from '../lib/estimate.ts'

/** What a percentage change reaches, before it is saved; always labelled as an estimate. */
export function AudienceNote(props: {
  estimate: AudienceEstimate
  from: number | null
  to: number
}) {
  const { estimate } = props
  if (estimate.kind === 'same') return null
  if (estimate.kind === 'unknown')
    return (
      <p class="estimate" role="status">
        No audience estimate: {estimate.reason}.
      </p>
    )
  const verb = estimate.delta >= 0 ? 'Adds' : 'Removes'
  return (
    <p class="estimate" role="status">
      <strong>
        {verb} ≈ {formatCount(Math.abs(estimate.delta))} exposures an hour
      </strong>{' '}
      ({formatPercent(props.from ?? 0)} → {formatPercent(props.to)}). Estimate from exposures:{' '}
      {formatCount(estimate.exposures)} canary + control exposures in the last hour × the change in
      percentage; it counts evaluations, not distinct users.
    </p>
  )
}
