import type { Rise, RuleState } from './sequential.ts'
import type { TripSpan } from '../../api-shapes/guard.ts'

export type { Rise }

/**
 * Where a change detector's current rise began, and what it has counted since: the figures a
 * change-detector trip is told with. The detector is a CUSUM per alternative k,
 * `change[k] = max(0, change[k] + llr)`; its rise is the run of seconds since it last stood at
 * 0, and the statistic is the log-likelihood ratio of exactly those seconds. Telling a trip with
 * the rates since the start instead (a canary healthy for a day, then failing) gave "the
 * canary's error rate (1.4%) is over the limit of 5%", which reads as a bug.
 *
 * Kept beside the rule's state (`RuleState.rises`, one entry per alternative), so it is saved
 * and resumed with the tests. Pure: the time of the second comes in as an argument.
 */

/**
 * After a second's counts reached the rule's test: starts, extends or ends each alternative's
 * rise. A rise begins with the first second that lifts its detector off 0 (that second counts)
 * and ends when the detector falls back to 0 (`seconds` 0; the object is reused by the next
 * rise, so the once-a-second step allocates nothing). A state without rises (saved before they
 * were recorded) marks the rises already under way as of unknown start.
 */
export function followRises(state: RuleState, at: number, n: number, x: number, m: number, y: number): void {
  const change = state.change
  if (!state.rises) state.rises = change.map((c) => (c > 0 ? { since: null, seconds: 1, canaryTrials: 0, canaryEvents: 0, controlTrials: 0, controlEvents: 0 } : null))
  const rises = state.rises
  for (let k = 0; k < change.length; k++) {
    const rise = rises[k]
    if (change[k]! <= 0) {
      if (rise) rise.seconds = 0
    } else if (!rise) {
      rises[k] = { since: at, seconds: 1, canaryTrials: n, canaryEvents: x, controlTrials: m, controlEvents: y }
    } else if (rise.seconds === 0) {
      rise.since = at
      rise.seconds = 1
      rise.canaryTrials = n
      rise.canaryEvents = x
      rise.controlTrials = m
      rise.controlEvents = y
    } else {
      rise.seconds++
      rise.canaryTrials += n
      rise.canaryEvents += x
      rise.controlTrials += m
      rise.controlEvents += y
    }
  }
}

/**
 * The span a change-detector trip counted: the rise of the alternative whose detector stands
 * highest (the one the reading's `changeStatistic` shows). Null when no detector is off 0, or the
 * rise began before rises were recorded (its counts would be partial).
 */
export function riseSpan(state: RuleState): TripSpan | null {
  let best = -1
  for (let k = 0; k < state.change.length; k++) if (state.change[k]! > 0 && (best < 0 || state.change[k]! > state.change[best]!)) best = k
  const rise = best < 0 ? null : state.rises?.[best]
  if (!rise || rise.seconds === 0 || rise.since === null) return null
  return { from: 'rise', ...rise, since: rise.since }
}

/** A rule state's rises by value (a snapshot must not change as the tests go on). */
export const copyRises = (rises: RuleState['rises']): RuleState['rises'] => rises?.map((r) => (r ? { ...r } : null))
