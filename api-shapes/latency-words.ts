import type { GuardFigures, TripRecord } from './guard.ts'

/*
 * The latency rules' trip in words: one function the tripper's log, the console banner and the
 * CLI read, so the figures a person sees are the ones the test used (slow share over the
 * requests that reported a duration, never over all exposures). Kept apart so it can become one
 * more case of a shared trip-wording module.
 */

const share = (rate: number | null) => (rate === null ? 'no durations' : `${+(rate * 100).toFixed(2)}%`)
const count = (n: number) => Math.round(n).toLocaleString('en-US')

/** An arm's slow share with its counts: `12.5% (25 of 200 timed requests)`. */
function armShare(rate: number | null, slow: number, timed: number): string {
  return rate === null ? 'no durations reported' : `${share(rate)} (${count(slow)} of ${count(timed)} timed requests)`
}

/**
 * Why a latency rule tripped, from the trip's frozen record; null for a rule that is not about
 * latency (its words live elsewhere).
 *
 * @example
 * latencyTripWords(trip) // "the canary's slow-request share (requests slower than 500 ms: 31.2% (…)) is over the limit of 10%"
 */
export function latencyTripWords(trip: Pick<TripRecord, 'rule' | 'test' | 'limit'> & { figures: GuardFigures }): string | null {
  if (trip.rule !== 'max_slow_rate' && trip.rule !== 'max_slow_ratio_to_control') return null
  const f = trip.figures
  const bound = f.slowerThanMs === null ? 'slow requests' : `requests slower than ${count(f.slowerThanMs)} ms`
  const canary = armShare(f.canarySlowRate, f.canarySlow, f.canaryTimed)
  const how = trip.test === 'change' ? 'the change detector saw a rise' : 'the evidence since the start showed'
  const what =
    trip.rule === 'max_slow_rate'
      ? `the canary's share of ${bound} (${canary}) is over the limit of ${share(trip.limit)}`
      : `the canary's share of ${bound} (${canary}) is more than ${trip.limit}× the control's ` +
        `(${armShare(f.controlSlowRate, f.controlSlow, f.controlTimed)}), over the limit of ${trip.limit}×`
  return `${how}: ${what}`
}
