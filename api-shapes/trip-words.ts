import { GUARD_RULE_KINDS } from './guard-rules.ts'
import type { GuardFigures, GuardRule, GuardTest, RuleReading, TripSpan } from './guard.ts'
import { countedSecondsText } from './counted-words.ts'

/*
 * A trip in words: the one home of how the guard tells why it turned a flag off. The tripper
 * freezes the sentence in the trip record (`summary`), so the server's log, the audit entry, the
 * webhook body and the API carry it; the console's banner and audit log and the CLI build it from
 * the record with this same function. The figures in it are those of the test that fired:
 *  - the change detector: the counts and rate since its rise began, and when that was, beside
 *    the rate since the start (a day of healthy traffic then a failing hour must not read
 *    "1.4% is over the limit of 5%");
 *  - the ratio rules: both arms' rates over the span that counted;
 *  - the latency rules: the slow share over the requests that reported a duration.
 * Pure and without the server's code: the console bundle imports it.
 */

/** What the words need of a trip: a full record, or an audit entry's (older ones lack `span` and some figures). */
export interface TripForWords {
  /** The words frozen at the trip (absent in records made before they were). */
  summary?: string | undefined
  rule: GuardRule
  test?: GuardTest | undefined
  limit: number
  span?: TripSpan | undefined
  figures: Pick<GuardFigures, 'canaryErrors' | 'canaryExposures' | 'canaryRate' | 'controlRate'> &
    Partial<Omit<GuardFigures, 'canaryErrors' | 'canaryExposures' | 'canaryRate' | 'controlRate'>>
}

const numbers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const count = (n: number) => numbers.format(n)

/** A rate (0–1) as a percentage with two decimals under 10% and one above: `1.37%`, `20.0%`. */
export const tripRate = (r: number) => `${(r * 100).toFixed(r < 0.1 ? 2 : 1)}%`

/** A time the same on every surface, whatever the reader's zone: `2026-12-06 03:10:05 UTC`. */
export const tripTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`

/** How the rule's metric reads: its rate's name and its trials' noun. */
function metricWords(rule: GuardRule, slowerThanMs: number | null | undefined) {
  if (GUARD_RULE_KINDS[rule].event === 'errors') return { rate: 'error rate', events: 'errors', trials: 'exposures' }
  const bound = typeof slowerThanMs === 'number' ? `slower than ${count(slowerThanMs)} ms` : 'slow'
  return { rate: `share of requests ${bound}`, events: 'slow', trials: 'timed requests' }
}

/** An arm over the span: `20.0% (400 errors in 2,000 exposures)`; null without trials. */
function arm(events: number, trials: number, m: { events: string; trials: string }): string | null {
  return trials > 0 ? `${tripRate(events / trials)} (${count(events)} ${m.events} in ${count(trials)} ${m.trials})` : null
}

/**
 * The span a trip record counted, for records made before it was kept: the figures since the
 * start, which is what the test since the start counted (null for an old change-detector trip,
 * whose rise was not recorded).
 */
export function spanOf(trip: TripForWords): TripSpan | null {
  if (trip.span) return trip.span
  if (trip.test === 'change') return null
  const f = trip.figures
  const latency = GUARD_RULE_KINDS[trip.rule].event === 'slow'
  const pick = (errors: number | undefined, slow: number | undefined) => (latency ? slow : errors) ?? 0
  return {
    from: 'start',
    since: f.since ?? 0,
    seconds: f.seconds ?? 0,
    canaryTrials: pick(f.canaryExposures, f.canaryTimed),
    canaryEvents: pick(f.canaryErrors, f.canarySlow),
    controlTrials: pick(f.controlExposures, f.controlTimed),
    controlEvents: pick(f.controlErrors, f.controlSlow),
  }
}

/** The rule's reading in the trip's figures, when the record has it. */
const readingOf = (trip: TripForWords): RuleReading | null | undefined =>
  (trip.figures as unknown as Partial<Record<string, RuleReading | null>>)[GUARD_RULE_KINDS[trip.rule].setting]

/** `(test statistic 21.30, threshold 18.10)` of the test that fired, when the record has its reading. */
function statisticWords(trip: TripForWords): string {
  const r = readingOf(trip)
  if (!r) return ''
  const [s, t] = trip.test === 'change' ? [r.changeStatistic, r.changeThreshold] : [r.statistic, r.threshold]
  return s === null || s === undefined ? '' : ` (test statistic ${s.toFixed(2)}, threshold ${t.toFixed(2)})`
}

/** The canary's rate since the start (`1.37% (1,400 errors in 102,000 exposures)`), told beside a change-detector trip's rise. */
function sinceStartArm(trip: TripForWords, m: { events: string; trials: string }): string {
  const f = trip.figures
  const canary = m.events === 'slow' ? arm(f.canarySlow ?? 0, f.canaryTimed ?? 0, m) : arm(f.canaryErrors, f.canaryExposures, m)
  return canary ?? `no ${m.trials}`
}

/** `; since the start (2026-12-06 02:10:00 UTC) the canary's rate is 1.37% (…)`. */
function sinceStartWords(trip: TripForWords, m: { events: string; trials: string }): string {
  const since = trip.figures.since
  return `; since the start${since === undefined ? '' : ` (${tripTime(since)})`} the canary's rate is ${sinceStartArm(trip, m)}`
}

/**
 * Why the guard turned a flag off, with the figures of the test that fired.
 *
 * @example
 * tripWords(trip)
 * // "the change detector saw a rise that began at 2026-12-06 03:10:05 UTC (counts from 1 second):
 * //  since then the canary's error rate is 20.0% (400 errors in 2,000 exposures), over the limit of 5.00%
 * //  (test statistic 265.55, threshold 17.76); since the start (…) the canary's rate is 1.37% (…)"
 */
export function tripWords(trip: TripForWords): string {
  const m = metricWords(trip.rule, trip.figures.slowerThanMs)
  const span = spanOf(trip)
  const ratio = GUARD_RULE_KINDS[trip.rule].test === 'ratio_to_control'
  const limit = ratio ? `${trip.limit}×` : tripRate(trip.limit)
  const stat = statisticWords(trip)
  if (!span) {
    // A change-detector trip recorded before rises were kept: its rise's counts are unknown.
    return `the change detector saw a rise in the canary's ${m.rate} (when it began was not recorded), over the limit of ${limit}${stat}${sinceStartWords(trip, m)}`
  }
  const when =
    span.from === 'rise'
      ? `the change detector saw a rise that began at ${tripTime(span.since)} (${countedSecondsText(span.seconds)}): since then`
      : // Audit entries of the first trips have no start and no seconds: nothing to tell of the span.
        `the evidence since the start${trip.figures.since === undefined ? '' : ` (${tripTime(span.since)}, ${countedSecondsText(span.seconds)})`} showed`
  const canary = arm(span.canaryEvents, span.canaryTrials, m) ?? `no ${m.trials}`
  const control = arm(span.controlEvents, span.controlTrials, m) ?? `no ${m.trials}`
  const what = ratio
    ? `the canary's ${m.rate} is ${canary} against the control's ${control}${timesWords(span)}, over the limit of ${limit} the control's`
    : `the canary's ${m.rate} is ${canary}, over the limit of ${limit}`
  return `${when} ${what}${stat}${span.from === 'rise' ? sinceStartWords(trip, m) : ''}`
}

/**
 * A trip's words as it was told: the sentence frozen in its record, or for records made before
 * sentences were frozen, the sentence built now from its figures. Every surface reads this.
 */
export const tripSummary = (trip: TripForWords): string => trip.summary ?? tripWords(trip)

/** `, 3.2×`: the two rates' ratio over the span (none without control events). */
function timesWords(span: TripSpan): string {
  if (span.canaryTrials <= 0 || span.controlTrials <= 0 || span.controlEvents <= 0) return ''
  const times = span.canaryEvents / span.canaryTrials / (span.controlEvents / span.controlTrials)
  return `, ${times.toFixed(times < 10 ? 1 : 0)}×`
}

/**
 * The same figures as `tripWords`, as labelled rows for a table (the console's trip banner):
 * the span the test counted, each arm over it, and for a change-detector trip the canary since
 * the start beside it.
 */
export function tripRows(trip: TripForWords): Array<{ label: string; text: string }> {
  const m = metricWords(trip.rule, trip.figures.slowerThanMs)
  const span = spanOf(trip)
  if (!span) return [{ label: 'Counted', text: 'since a rise whose start was not recorded' }]
  const rows = [
    {
      label: 'Counted',
      text:
        (span.from === 'rise' ? `since the rise began at ${tripTime(span.since)}` : `since the start, ${tripTime(span.since)}`) +
        `, ${countedSecondsText(span.seconds)}`,
    },
    { label: 'Canary', text: arm(span.canaryEvents, span.canaryTrials, m) ?? `no ${m.trials}` },
    { label: 'Control', text: arm(span.controlEvents, span.controlTrials, m) ?? `no ${m.trials}` },
  ]
  if (span.from === 'rise') {
    const since = trip.figures.since
    rows.push({ label: 'Since the start', text: `canary ${sinceStartArm(trip, m)}${since === undefined ? '' : `, since ${tripTime(since)}`}` })
  }
  return rows
}
