import type { GuardFigures } from '../api/types.ts'
import { rateCeiling, scale } from '../lib/chart.ts'
import { formatCount, formatRate } from '../lib/format.ts'

const W = 480
const ROW = 30
const LEFT = 64
const RIGHT = 10

/**
 * The guard's current window: canary rate with its 95% interval, control rate, and the limit:
 * what the guard judges right now. Updates with every guard update over the socket.
 */
export function WindowBars(props: { figures: GuardFigures; limit: number | null }) {
  const f = props.figures
  const ceiling = rateCeiling(props.limit, [f.canaryUpper, f.controlRate ?? 0])
  const x = scale(0, ceiling, LEFT, W - RIGHT)
  const rows = [
    { name: 'canary', rate: f.canaryRate },
    { name: 'control', rate: f.controlRate },
  ]
  const height = ROW * rows.length + 6
  const title = `Current window: canary ${formatRate(f.canaryRate)}, control ${formatRate(f.controlRate)}${
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
        {f.canaryExposures > 0 ? (
          <g class="interval">
            <title>95% interval of the canary's rate</title>
            <line x1={x(f.canaryLower)} x2={x(f.canaryUpper)} y1={3 + ROW / 2} y2={3 + ROW / 2} />
          </g>
        ) : null}
        {props.limit !== null ? (
          <g class="limit">
            <line x1={x(props.limit)} x2={x(props.limit)} y1="1" y2={height - 1} />
          </g>
        ) : null}
      </svg>
      <figcaption>
        <span class="key canary">canary</span> {formatRate(f.canaryRate)} (
        {formatCount(f.canaryErrors)} errors / {formatCount(f.canaryExposures)}, 95%:{' '}
        {formatRate(f.canaryLower)}–{formatRate(f.canaryUpper)}) ·{' '}
        <span class="key control">control</span> {formatRate(f.controlRate)} (
        {formatCount(f.controlErrors)} / {formatCount(f.controlExposures)})
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
