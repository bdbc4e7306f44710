import { summarizeCohorts, whoText } from '../../../api-shapes/audience.ts'
import type { Cohort } from '../api/types.ts'
import { formatCount, formatPercent } from '../lib/format.ts'
import type { AudienceEstimate } from '../lib/estimate.ts'

/**
 * What a percentage change reaches, before it is saved: which share of whom (`25% more of
 * region eu-west`) and about how many users, from the last hour's exposures. Always labelled as
 * an estimate.
 */
export function AudienceNote(props: {
  estimate: AudienceEstimate
  from: number | null
  to: number
  /** The cohort as saved: whose share changes. */
  cohort: Cohort | undefined
}) {
  const { estimate } = props
  if (estimate.kind === 'same') return null
  const who = props.cohort ? whoText(summarizeCohorts([props.cohort])[0]!) : 'this cohort'
  const points = Math.abs(props.to - (props.from ?? 0))
  const widening = props.to >= (props.from ?? 0)
  const share =
    props.from === null ? null : (
      <>
        {widening ? 'Newly gets the flag' : 'Loses the flag'}:{' '}
        <strong data-share>
          {formatPercent(points)} more of {who}
        </strong>{' '}
        ({formatPercent(props.from)} → {formatPercent(props.to)} of them; everyone already in stays
        in).{' '}
      </>
    )
  if (estimate.kind === 'unknown')
    return (
      <p class="estimate" role="status" data-audience-preview>
        {share}No estimate of how many users: {estimate.reason}.
      </p>
    )
  return (
    <p class="estimate" role="status" data-audience-preview>
      {share}
      <strong data-users>
        ≈ {formatCount(Math.abs(estimate.delta))} {widening ? 'more' : 'fewer'} users
      </strong>{' '}
      by the last hour: {formatCount(estimate.exposures)} canary + control exposures of this flag ×{' '}
      {formatPercent(points)}. An estimate: the counts are per flag, not per cohort, and count
      evaluations, not people.
    </p>
  )
}
