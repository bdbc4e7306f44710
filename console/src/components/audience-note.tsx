import { summarizeCohorts, whoText } from '../../../api-shapes/audience.ts'
import type { CohortReach } from '../../../api-shapes/cohort-reach.ts'
import type { Cohort } from '../api/types.ts'
import { formatCount, formatPercent } from '../lib/format.ts'
import type { AudienceEstimate } from '../lib/estimate.ts'

/**
 * What a percentage change reaches, before it is saved: which share of whom (`25% more of
 * region eu-west`) and about how many users, from the last hour's exposures. Always labelled as
 * an estimate. Rollouts of one flag nest: when another cohort already gives the flag to part of
 * this one's audience (`reach`), only the change above that part counts, and the note says so.
 */
export function AudienceNote(props: {
  estimate: AudienceEstimate
  from: number | null
  to: number
  /** The cohort as saved: whose share changes. */
  cohort: Cohort | undefined
  /** What the flag's other cohorts already give this cohort's audience. */
  reach?: CohortReach | undefined
}) {
  const { estimate } = props
  if (estimate.kind === 'same') return null
  const who = props.cohort ? whoText(summarizeCohorts([props.cohort])[0]!) : 'this cohort'
  const covered = props.reach?.coveredBy === undefined ? 0 : props.reach.covered
  const nested =
    covered > 0 ? (
      <span data-nested>
        {props.reach!.coveredBy} already gives the flag to {formatPercent(covered)} of them (one
        salt per flag: rollouts nest, they do not add up).{' '}
      </span>
    ) : null
  const before = Math.max(props.from ?? 0, covered)
  const after = Math.max(props.to, covered)
  const points = Math.abs(after - before)
  const widening = props.to >= (props.from ?? 0)
  const share =
    props.from === null ? (
      nested
    ) : points === 0 ? (
      <>
        <strong data-share>Nobody's answer changes</strong> ({formatPercent(props.from)} →{' '}
        {formatPercent(props.to)} of {who}): {nested}
      </>
    ) : (
      <>
        {widening ? 'Newly gets the flag' : 'Loses the flag'}:{' '}
        <strong data-share>
          {formatPercent(points)} {widening ? 'more' : 'less'} of {who}
        </strong>{' '}
        ({formatPercent(props.from)} → {formatPercent(props.to)} of them; everyone already in stays
        in). {nested}
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
      {points === 0 && props.from !== null ? null : (
        <>
      <strong data-users>
        ≈ {formatCount(Math.abs(estimate.delta))} {widening ? 'more' : 'fewer'} users
      </strong>{' '}
      by the last hour: {formatCount(estimate.exposures)} canary + control exposures of this flag ×{' '}
      {formatPercent(points)}. An estimate: the counts are per flag, not per cohort, and count
      evaluations, not people.
        </>
      )}
    </p>
  )
}
