import type {
  GuardFigures,
  GuardRule,
  GuardSettings,
  GuardTest,
  PlanFigures,
  RuleReading,
  TripRecord,
} from '../api/types.ts'
import { progressPercent } from '../../../api-shapes/guard-words.ts'
import { countedSecondsText } from '../../../api-shapes/counted-words.ts'
import { formatCount, formatDuration, formatRate } from './format.ts'

export { progressPercent, RULE_TEXT } from '../../../api-shapes/guard-words.ts'

/**
 * The guard's evidence in words, for people: how close it is to a trip, what each rule's test
 * reads, why it tripped and what a waiting plan needs. Pure, so it is tested without a browser.
 */

/** A test statistic as the API sends it: JSON has no infinity, so it may be null. */
export const formatStatistic = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : value.toFixed(2)

/** The limit a rule compares against, in its own unit. */
export const formatLimit = (rule: GuardRule, limit: number) =>
  rule === 'max_error_rate' || rule === 'max_slow_rate' ? formatRate(limit) : `${limit}×`

export const TEST_TEXT: Record<GuardTest, string> = {
  mixture: 'since the start',
  change: 'change detector',
}

/** Whether any rule's test crossed its threshold. */
export const crossedOf = (f: GuardFigures) =>
  [f.maxErrorRate, f.maxRatioToControl, f.maxSlowRate, f.maxSlowRatioToControl].some((r) => (r?.crossed ?? null) !== null)

/**
 * How strong the evidence against the canary is, in one sentence.
 *
 * @example
 * closenessWords({ ...figures, progress: 0.04 }) // 'No sign of a problem: 4% of the way to a trip.'
 */
export function closenessWords(f: GuardFigures): string {
  const crossed = crossedOf(f)
  const pct = progressPercent(f.progress, crossed)
  if (crossed) return 'The evidence shows the canary is worse than its limit: the guard trips.'
  if (f.canaryExposures === 0) return 'No canary traffic counted yet: nothing to judge.'
  if (pct < 10) return `No sign of a problem: ${pct}% of the way to a trip.`
  if (pct < 50) return `Some evidence the canary is worse than its limit: ${pct}% of the way to a trip.`
  return `Strong evidence the canary is worse than its limit: ${pct}% of the way to a trip.`
}

/** The counts since the start, in words. */
export function countsWords(f: GuardFigures): string {
  const control =
    f.controlExposures > 0
      ? `control ${formatCount(f.controlErrors)} of ${formatCount(f.controlExposures)} (${formatRate(f.controlRate)})`
      : 'no control exposures'
  return (
    `The canary failed ${formatCount(f.canaryErrors)} of ${formatCount(f.canaryExposures)} exposures ` +
    `(${formatRate(f.canaryRate)}); ${control}.`
  )
}

/**
 * The slow-request shares beside the error rates, for a guard with a latency rule (null
 * without one). A share is over the requests that reported a duration, and an arm without any
 * says so rather than showing 0%.
 *
 * @example
 * slowWords(figures) // 'Slower than 500 ms: canary 12.00% of 400 timed requests; control 4.00% of 3,600.'
 */
export function slowWords(f: GuardFigures): string | null {
  if (f.slowerThanMs === null) return null
  const arm = (rate: number | null, timed: number, first: boolean) =>
    rate === null ? 'no durations reported yet' : `${formatRate(rate)} of ${formatCount(timed)}${first ? ' timed requests' : ''}`
  return (
    `Slower than ${formatCount(f.slowerThanMs)} ms: canary ${arm(f.canarySlowRate, f.canaryTimed, true)}; ` +
    `control ${arm(f.controlSlowRate, f.controlTimed, false)}.`
  )
}

/** The optional floor, when it still holds a trip back. */
export function floorWords(f: GuardFigures, settings: GuardSettings): string | null {
  const floor = settings.minExposures ?? 0
  if (floor <= 0 || f.canaryExposures >= floor) return null
  return `It does not trip before ${formatCount(floor)} canary exposures (${formatCount(f.canaryExposures)} so far).`
}

/** One rule's reading: `since the start 0.42 of 3.00 · change detector 1.20 of 17.76`. */
export function readingWords(r: RuleReading): string {
  return (
    `since the start ${formatStatistic(r.statistic)} of ${formatStatistic(r.threshold)} · ` +
    `change detector ${formatStatistic(r.changeStatistic)} of ${formatStatistic(r.changeThreshold)} · ` +
    `${progressPercent(r.progress, r.crossed !== null)}% to a trip`
  )
}

/**
 * What the evidence's time span holds, said so that a minute with a few batches does not read
 * as a bug: `For 1 min, counts from 3 separate seconds (SDKs send counts in batches …)`.
 * `seconds` counts the one-second updates that had counts, not the time since `since`.
 */
export function countedWords(f: { since: number; seconds: number }, now: number): string {
  const span = Math.max(0, Math.round((now - f.since) / 1000))
  return (
    `For ${formatDuration(span)}, ${countedSecondsText(f.seconds)} ` +
    '(SDKs send counts in batches every few seconds; each second with counts updates the tests).'
  )
}

/** Why a trip happened, from its frozen record: the one trip-wording module's sentence. */
export { tripRows, tripSummary as tripWhy } from '../../../api-shapes/trip-words.ts'

/** What a plan step's test has shown so far. */
export function planEvidenceWords(e: PlanFigures): string {
  return (
    `${formatCount(e.canaryErrors)} canary errors in ${formatCount(e.canaryExposures)} exposures this step` +
    (e.canaryExposures > 0 ? ` (${formatRate(e.canaryRate)}); ` : '; ') +
    (e.proven
      ? 'shown below the limit'
      : `not yet shown below the limit (statistic ${formatStatistic(e.statistic)} of ${formatStatistic(e.threshold)})`)
  )
}
