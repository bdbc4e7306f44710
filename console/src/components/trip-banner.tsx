import type { FlagChanges } from '../lib/own-changes.ts'
import type { FlagState, TripRecord } from '../api/types.ts'
import { formatCount, formatRate, formatTime } from '../lib/format.ts'
import { SwitchButton } from './switch-button.tsx'

function why(trip: TripRecord): string {
  const f = trip.figures
  if (trip.rule === 'max_ratio_to_control')
    return (
      `the canary's error rate (${formatRate(f.canaryRate)}) was at least ${f.ratioLower?.toFixed(2) ?? '?'}× the control's ` +
      `(${formatRate(f.controlRate)}) with 95% confidence, over the limit of ${trip.limit}×`
    )
  return (
    `the canary's error rate was ${formatRate(f.canaryRate)} — at least ${formatRate(f.canaryLower)} with 95% confidence — ` +
    `over the limit of ${formatRate(trip.limit)}`
  )
}

/** After a trip: when, why and the frozen figures, and the way back on. */
export function TripBanner(props: { state: FlagState; changes: FlagChanges }) {
  const trip = props.state.guard?.lastTrip
  if (!trip) return null
  const f = trip.figures
  return (
    <section class="trip-banner" role="alert" aria-labelledby="trip-heading">
      <h2 id="trip-heading">The guard turned this flag off</h2>
      <p>
        At <time dateTime={new Date(trip.at).toISOString()}>{formatTime(trip.at)}</time>, because{' '}
        {why(trip)}.
      </p>
      <dl class="figures">
        <dt>Window</dt>
        <dd>{f.windowSeconds} s</dd>
        <dt>Canary</dt>
        <dd>
          {formatCount(f.canaryErrors)} errors / {formatCount(f.canaryExposures)} exposures (
          {formatRate(f.canaryRate)})
        </dd>
        <dt>Control</dt>
        <dd>
          {formatCount(f.controlErrors)} errors / {formatCount(f.controlExposures)} exposures (
          {formatRate(f.controlRate)})
        </dd>
      </dl>
      <p>
        Fix the cause first; turning it back on is your decision, and the guard watches again from
        zero.
      </p>
      <SwitchButton
        id="trip-turn-on"
        state={props.state}
        to={true}
        label="Turn back on"
        changes={props.changes}
      />
    </section>
  )
}
