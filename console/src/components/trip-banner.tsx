import type { FlagChanges } from '../lib/own-changes.ts'
import type { FlagState } from '../api/types.ts'
import { formatLimit, RULE_TEXT, TEST_TEXT, tripRows, tripWhy } from '../lib/evidence.ts'
import { formatTime } from '../lib/format.ts'
import { SwitchButton } from './switch-button.tsx'

/**
 * After a trip: when, which rule and test, the figures of the test that fired (the trip-wording
 * module's, so the sentence and the table agree), and the way back on.
 */
export function TripBanner(props: { state: FlagState; changes: FlagChanges }) {
  const trip = props.state.guard?.lastTrip
  if (!trip) return null
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
        {tripRows(trip).map((row) => (
          <>
            <dt>{row.label}</dt>
            <dd data-trip-row={row.label}>{row.text}</dd>
          </>
        ))}
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
