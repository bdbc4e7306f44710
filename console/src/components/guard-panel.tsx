import type { FlagChanges } from '../lib/own-changes.ts'
import type { FlagState, GuardFigures, Metrics, StoredGuard } from '../api/types.ts'
import {
  closenessWords,
  countedWords,
  countsWords,
  crossedOf,
  floorWords,
  readingWords,
  slowWords,
  tripWhy,
} from '../lib/evidence.ts'
import { formatCount, formatRate, formatTime } from '../lib/format.ts'
import { GuardBadge } from './badges.tsx'
import { CHART_SPANS, spanFor, type ChartSpan } from '../lib/chart.ts'
import { GuardChart } from './guard-chart.tsx'
import { GuardForm } from './guard-form.tsx'
import { TripMeter } from './trip-meter.tsx'
import { WindowBars } from './window-bars.tsx'


/** What the guard does, in one paragraph, from its settings. */
function Settings(props: { guard: StoredGuard }) {
  const g = props.guard
  const floor = g.minExposures ?? 0
  return (
    <p class="muted" data-guard-settings>
      Switches the flag off when the evidence shows the canary's error rate is over{' '}
      {formatRate(g.maxErrorRate)}
      {g.maxRatioToControl ? `, or over ${g.maxRatioToControl}× the control's rate` : ''}
      {g.latency ? `, or when its share of requests slower than ${formatCount(g.latency.slowerThanMs)} ms is ${latencyLimits(g.latency)}` : ''}. The
      tests stay valid however often they are checked: at most a 5% chance of a false trip over the
      flag's whole life, shared by its rules.{' '}
      {g.evidence === 'server'
        ? 'Evidence: back-end services (server keys) only; browsers are ignored.'
        : 'Evidence: back-end services and browsers (each browser counts as one user).'}
      {floor > 0 ? ` No trip before ${formatCount(floor)} canary exposures.` : ''}
    </p>
  )
}

/** The latency limits in words: `over 10.00%, or over 2× control's`. */
function latencyLimits(l: NonNullable<StoredGuard['latency']>): string {
  const limits = [
    l.maxSlowRate === undefined ? null : `over ${formatRate(l.maxSlowRate)}`,
    l.maxSlowRatioToControl === undefined ? null : `over ${l.maxSlowRatioToControl}× the control's`,
  ]
  return limits.filter(Boolean).join(', or ')
}

/**
 * The last trip after someone turned the flag back on: when, why, with its frozen figures, until
 * the next trip replaces it (while it still holds the flag off, the trip banner says all this).
 */
function LastTrip(props: { trip: NonNullable<StoredGuard['lastTrip']> }) {
  const { trip } = props
  return (
    <div class="last-trip" data-last-trip>
      <h3>
        Last trip: <time dateTime={new Date(trip.at).toISOString()}>{formatTime(trip.at)}</time>
      </h3>
      <p>
        The guard turned this flag off because {tripWhy(trip)}. Turned back on at{' '}
        {formatTime(trip.resolvedAt ?? trip.at)}.
      </p>
    </div>
  )
}

/** The evidence since the tests started: in words, as a bar, and each rule's test. */
function Evidence(props: { figures: GuardFigures; guard: StoredGuard }) {
  const f = props.figures
  const crossed = crossedOf(f)
  const floor = floorWords(f, props.guard)
  const slow = slowWords(f)
  return (
    <div class="evidence" data-evidence>
      <h3>Evidence since {formatTime(f.since)}</h3>
      <p class="muted" data-counted>
        {countedWords(f, Date.now())}
      </p>
      <TripMeter progress={f.progress} crossed={crossed} />
      <p class="evidence-words">
        {closenessWords(f)} {countsWords(f)}
        {floor ? ` ${floor}` : ''}
      </p>
      {slow ? (
        <p class="evidence-words" data-slow-rates>
          {slow}
        </p>
      ) : null}
      <dl class="figures readings">
        <dt>Error rate over {formatRate(props.guard.maxErrorRate)}</dt>
        <dd data-rule="max_error_rate">{readingWords(f.maxErrorRate)}</dd>
        {f.maxRatioToControl ? (
          <>
            <dt>Over {props.guard.maxRatioToControl}× control</dt>
            <dd data-rule="max_ratio_to_control">{readingWords(f.maxRatioToControl)}</dd>
          </>
        ) : null}
        {f.maxSlowRate ? (
          <>
            <dt>Slow share over {formatRate(props.guard.latency?.maxSlowRate ?? null)}</dt>
            <dd data-rule="max_slow_rate">{readingWords(f.maxSlowRate)}</dd>
          </>
        ) : null}
        {f.maxSlowRatioToControl ? (
          <>
            <dt>Slow share over {props.guard.latency?.maxSlowRatioToControl}× control</dt>
            <dd data-rule="max_slow_ratio_to_control">{readingWords(f.maxSlowRatioToControl)}</dd>
          </>
        ) : null}
      </dl>
    </div>
  )
}

/** The guard: its live status and evidence, the recent rates, the chart, and its settings. */
export function GuardPanel(props: {
  state: FlagState
  metrics: Metrics | null
  changes: FlagChanges
  /** The chart span a person picked, or null to follow the data. */
  pickedSpan: ChartSpan['span'] | null
  onPickSpan: (span: ChartSpan['span'] | null) => void
}) {
  const { state, metrics } = props
  const figures = metrics?.decision?.figures
  const recent = metrics?.recent
  const guard = state.guard
  const limit = guard?.maxErrorRate ?? null
  return (
    <section class="guard card" aria-labelledby="guard-heading">
      <h2 id="guard-heading">Guard {metrics ? <GuardBadge status={metrics.status} /> : null}</h2>
      {guard ? (
        <Settings guard={guard} />
      ) : (
        <p class="muted">
          No guard: nothing switches this flag off by itself. Set one before widening.
        </p>
      )}
      {guard?.lastTrip && guard.lastTrip.resolvedAt != null ? <LastTrip trip={guard.lastTrip} /> : null}
      {guard && figures ? (
        <Evidence figures={figures} guard={guard} />
      ) : guard && metrics ? (
        <p class="muted evidence-words">
          {state.enabled
            ? 'No evidence yet: the guard counts from when the flag was turned on or its settings changed.'
            : 'The flag is off: the guard counts afresh when it is turned on.'}
        </p>
      ) : null}
      {guard && recent ? (
        <>
          <h3>Recent: the last {recent.seconds} s</h3>
          <WindowBars recent={recent} limit={limit} />
        </>
      ) : null}
      <RateChart
        state={state}
        metrics={metrics}
        limit={limit}
        picked={props.pickedSpan}
        onPick={props.onPickSpan}
      />
      <GuardForm state={state} changes={props.changes} />
    </section>
  )
}

/**
 * The error-rate chart with its span: by default the shortest that holds all the counts (it
 * follows the data), or the one a person picked. One line beside it says what canary and control
 * are, since everything else on the page assumes it.
 */
function RateChart(props: {
  state: FlagState
  metrics: Metrics | null
  limit: number | null
  picked: ChartSpan['span'] | null
  onPick: (span: ChartSpan['span'] | null) => void
}) {
  const { metrics, picked } = props
  const now = Date.now()
  const auto = spanFor(metrics?.firstCountAt ?? null, now)
  const span = CHART_SPANS.find((s) => s.span === picked) ?? auto
  // The last 15 minutes at 10-second resolution when the server has those rows.
  const fine = span.span === '15m' && metrics?.fine ? metrics.fine : null
  const per = fine ? `per ${fine.resolutionSeconds} s` : 'per minute'
  return (
    <div class="rate-chart">
      <div class="chart-head">
        <h3 id="chart-heading">
          Error rate, last {span.label}, {per}
        </h3>
        <div class="span-picker" role="group" aria-label="Chart span">
          {CHART_SPANS.map((s) => (
            <button
              type="button"
              class="chip"
              aria-pressed={s.span === span.span ? 'true' : 'false'}
              onClick={() => props.onPick(s.span === auto.span ? null : s.span)}
            >
              {s.label}
            </button>
          ))}
        </div>
      </div>
      <p class="muted chart-explainer" data-explainer>
        <strong>Canary</strong>: users the flag is on for. <strong>Control</strong>: users who met
        the same cohort's conditions but fell outside its percentage, so they still run the old
        code; the gap between the two lines is what the change does.
        {picked === null ? ' The span follows the data.' : ''}
      </p>
      {metrics ? (
        <GuardChart
          minutes={fine?.rows ?? metrics.minutes}
          resolutionSeconds={fine?.resolutionSeconds ?? 60}
          limit={props.limit}
          trip={props.state.guard?.lastTrip}
          span={span}
          now={now}
        />
      ) : (
        <p class="loading">Loading error rates…</p>
      )}
    </div>
  )
}
