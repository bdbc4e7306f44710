import type { FlagChanges } from '../lib/own-changes.ts'
import type { FlagState } from '../api/types.ts'
import { formatLimit, RULE_TEXT, TEST_TEXT, tripWhy } from '../lib/evidence.ts'
import { formatCount, formatRate, formatTime } from '../lib/format.ts'
import { countedSecondsText } from '../../../api-shapes/counted-words.ts'
import { SwitchButton } from './switch-button.tsx'

/** After a trip: when, which rule and test, the frozen figures, and the way back on. */
export function TripBanner(props: { state: FlagState; changes: FlagChanges }) {
  const trip = props.state.guard?.lastTrip
  if (!trip) return null
  const f = trip.figures
  return (
    <section class="trip-banner" role="alert" aria-labelledby="trip-heading">
      <h2 id="trip-heading">The guard turned this flag off</h2>
      <p>
        At <time dateTime={new Date(trip.at).toISOString()}>{formatTime(trip.at)}</time>, because{' '}
        {tripWhy(trip)}.
      </p>
      <dl class="figures">
        <dt>Rule</dt>
        <dd data-rule={trip.rule}>
          {RULE_TEXT[trip.rule] ?? trip.rule} ({formatLimit(trip.rule, trip.limit)})
        </dd>
        <dt>Test</dt>
        <dd data-test={trip.test}>
          {TEST_TEXT[trip.test] ?? trip.test}
          {trip.test === 'change'
            ? ' (a rise after a healthy period)'
            : ' (all counts since the guard started watching)'}
        </dd>
        <dt>Counted</dt>
        <dd>
          since {formatTime(f.since)}, {countedSecondsText(f.seconds)}
        </dd>
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
