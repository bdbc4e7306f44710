import type { RecentCounts } from '../api/types.ts'
import { rateCeiling, scale } from '../lib/chart.ts'
import { formatCount, formatRate } from '../lib/format.ts'

const W = 480
const ROW = 30
const LEFT = 64
const RIGHT = 10

const rateOf = (errors: number, exposures: number) => (exposures > 0 ? errors / exposures : null)

/**
 * The recent window (the guard's `windowSeconds`): canary and control rates against the limit,
 * for people. The guard decides on the counts since the start, not on these. Updates with every
 * guard update over the socket.
 */
export function WindowBars(props: { recent: RecentCounts; limit: number | null }) {
  const r = props.recent
  const canaryRate = rateOf(r.canaryErrors, r.canaryExposures)
  const controlRate = rateOf(r.controlErrors, r.controlExposures)
  const ceiling = rateCeiling(props.limit, [canaryRate ?? 0, controlRate ?? 0])
  const x = scale(0, ceiling, LEFT, W - RIGHT)
  const rows = [
    { name: 'canary', rate: canaryRate },
    { name: 'control', rate: controlRate },
  ]
  const height = ROW * rows.length + 6
  const title = `Last ${r.seconds} s: canary ${formatRate(canaryRate)}, control ${formatRate(controlRate)}${
    props.limit === null ? '' : `, limit ${formatRate(props.limit)}`
  }`
  return (
    <figure class="chart window">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-label={title} data-chart="window">
        {rows.map((row, i) => (
          <g class={`series ${row.name}`} data-series={`window-${row.name}`}>
            <text class="axis" x={LEFT - 8} y={3 + i * ROW + 19} text-anchor="end">
              {row.name}
            </text>
            <rect
              x={LEFT}
              y={3 + i * ROW + 6}
              width={Math.max(0, x(row.rate ?? 0) - LEFT)}
              height={ROW - 12}
              rx="2"
            />
          </g>
        ))}
        {props.limit !== null ? (
          <g class="limit">
            <line x1={x(props.limit)} x2={x(props.limit)} y1="1" y2={height - 1} />
          </g>
        ) : null}
      </svg>
      <figcaption>
        <span class="key canary">canary</span> {formatRate(canaryRate)} (
        {formatCount(r.canaryErrors)} errors / {formatCount(r.canaryExposures)}) ·{' '}
        <span class="key control">control</span> {formatRate(controlRate)} (
        {formatCount(r.controlErrors)} / {formatCount(r.controlExposures)})
        {props.limit !== null ? (
          <>
            {' '}
            · <span class="key limit">limit</span> {formatRate(props.limit)}
          </>
        ) : null}
      </figcaption>
    </figure>
  )
}
