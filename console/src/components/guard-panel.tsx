import type { FlagChanges } from '../lib/own-changes.ts'
import type { FlagState, Metrics } from '../api/types.ts'
import { formatCount, formatRate } from '../lib/format.ts'
import { GuardBadge } from './badges.tsx'
import { GuardChart } from './guard-chart.tsx'
import { GuardForm } from './guard-form.tsx'
import { WindowBars } from './window-bars.tsx'

const HOURS = 3

/** The guard: its live status and figures, the canary-vs-control chart, and its settings. */
export function GuardPanel(props: {
  state: FlagState
  metrics: Metrics | null
  changes: FlagChanges
}) {
  const { state, metrics } = props
  const figures = metrics?.decision?.figures
  const limit = state.guard?.maxErrorRate ?? null
  return (
    <section class="guard card" aria-labelledby="guard-heading">
      <h2 id="guard-heading">Guard {metrics ? <GuardBadge status={metrics.status} /> : null}</h2>
      {state.guard ? (
        <p class="muted">
          Switches the flag off when the canary's error rate is over{' '}
          {formatRate(state.guard.maxErrorRate)} with confidence, once it has{' '}
          {formatCount(state.guard.minExposures)} exposures in {state.guard.windowSeconds} s
          {state.guard.maxRatioToControl
            ? `, or ${state.guard.maxRatioToControl}× the control's rate`
            : ''}
          .
        </p>
      ) : (
        <p class="muted">
          No guard: nothing switches this flag off by itself. Set one before widening.
        </p>
      )}
      {figures ? (
        <>
          <h3>Now: the last {figures.windowSeconds} s</h3>
          <WindowBars figures={figures} limit={limit} />
        </>
      ) : null}
      <h3>Last {HOURS} hours, per minute</h3>
      {metrics ? (
        <GuardChart
          minutes={metrics.minutes}
          limit={limit}
          trip={state.guard?.lastTrip}
          hours={HOURS}
          now={Date.now()}
        />
      ) : (
        <p class="loading">Loading error rates…</p>
      )}
      <GuardForm state={state} changes={props.changes} />
    </section>
  )
}
