import type { MinuteCounts, TripRecord } from '../api/types.ts'
import {
  linePath,
  rateCeiling,
  rateSeries,
  scale,
  timeTicks,
  type ChartSpan,
  type RatePoint,
} from '../lib/chart.ts'
import { formatClock, formatRate } from '../lib/format.ts'

const W = 480
const H = 220
const M = { left: 72, right: 10, top: 12, bottom: 24 }

function Series(props: {
  name: 'canary' | 'control'
  points: RatePoint[]
  x: (t: number) => number
  y: (r: number) => number
  gapMs: number
}) {
  return (
    <g class={`series ${props.name}`} data-series={props.name}>
      <path d={linePath(props.points, props.x, props.y, props.gapMs)} />
      {props.points.map((p) => (
        <circle cx={props.x(p.at).toFixed(1)} cy={props.y(p.rate).toFixed(1)} r="2.5">
          <title>
            {props.name} {formatClock(p.at)}: {formatRate(p.rate)} of {p.exposures}
          </title>
        </circle>
      ))}
    </g>
  )
}

/**
 * Error rates of the canary and the control over `span`, one point per row, with the guard's
 * limit and the last trip marked. The y axis is labelled "error rate" on screen. Plain SVG;
 * scales with its container.
 */
export function GuardChart(props: {
  minutes: MinuteCounts[]
  /** Seconds between rows: 60, or 10 for a new canary's finer rows. */
  resolutionSeconds: number
  limit: number | null
  trip: TripRecord | null | undefined
  span: ChartSpan
  now: number
}) {
  const start = props.now - props.span.ms
  const stepMs = props.resolutionSeconds * 1000
  const per = props.resolutionSeconds === 60 ? 'minute' : `${props.resolutionSeconds} s`
  const { canary, control } = rateSeries(props.minutes.filter((m) => m.minute >= start - stepMs))
  const ceiling = rateCeiling(
    props.limit,
    [...canary, ...control].map((p) => p.rate),
  )
  const x = scale(start, props.now, M.left, W - M.right)
  const y = scale(0, ceiling, H - M.bottom, M.top)
  const ticks = [0, ceiling / 2, ceiling]
  const times = timeTicks(start, props.now, props.span.tickMs)
  const last = (points: RatePoint[]) => points.at(-1)
  const summary =
    canary.length === 0 && control.length === 0
      ? 'No counts reported in this period.'
      : `Latest ${per}: canary ${formatRate(last(canary)?.rate)}, control ${formatRate(last(control)?.rate)}` +
        (props.limit === null ? '.' : `; limit ${formatRate(props.limit)}.`)

  return (
    <figure class="chart" data-span={props.span.span} data-resolution={props.resolutionSeconds}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby="rate-chart-title rate-chart-desc"
        data-chart="rates"
      >
        <title id="rate-chart-title">
          Error rate per {per}, last {props.span.label}
        </title>
        <desc id="rate-chart-desc">{summary}</desc>
        <text
          class="axis-label"
          data-axis="y"
          transform={`translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)`}
          text-anchor="middle"
        >
          error rate
        </text>
        {ticks.map((t) => (
          <g class="grid">
            <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} />
            <text x={M.left - 6} y={y(t) + 4} text-anchor="end">
              {formatRate(t)}
            </text>
          </g>
        ))}
        {times.map((t) => (
          <text class="axis" x={x(t)} y={H - 6} text-anchor="middle">
            {formatClock(t)}
          </text>
        ))}
        {props.trip && props.trip.at >= start ? (
          <g class="trip-marker" data-series="trip">
            <line x1={x(props.trip.at)} x2={x(props.trip.at)} y1={M.top} y2={H - M.bottom} />
            <text x={x(props.trip.at) - 4} y={M.top + 10} text-anchor="end">
              tripped
            </text>
          </g>
        ) : null}
        <Series name="control" points={control} x={x} y={y} gapMs={stepMs} />
        <Series name="canary" points={canary} x={x} y={y} gapMs={stepMs} />
        {props.limit !== null ? (
          <g class="limit" data-series="limit">
            <line x1={M.left} x2={W - M.right} y1={y(props.limit)} y2={y(props.limit)} />
            <text x={W - M.right} y={y(props.limit) - 4} text-anchor="end">
              limit {formatRate(props.limit)}
            </text>
          </g>
        ) : null}
      </svg>
      <figcaption>
        <span class="key canary">canary</span> <span class="key control">control</span>{' '}
        {props.limit !== null ? <span class="key limit">limit</span> : null} {summary}
      </figcaption>
    </figure>
  )
}
