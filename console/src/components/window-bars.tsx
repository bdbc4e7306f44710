import type { GuardFigures } from '../api/types.ts'
import { rateCeiling, scale } from '../lib/chart.ts'
import { formatCount, formatRate } from '../lib/format.ts'

const W = 640
const ROW = 34
const LEFT = 90
const RIGHT = 14

/**
 * The guard's current window: canary rate with its 95% interval, control rate, and the limit.
 * This is what the guard judges right now; it updates with every guard update.
 */
export function WindowBars(props: { figures: GuardFigures; limit: number | null }) {
  const f = props.figures
  const ceiling = rateCeiling(props.limit, [f.canaryUpper, f.controlRate ?? 0])
  const x = scale(0, ceiling, LEFT, W - RIGHT)
  const rows = [
    { name: 'canary', rate: f.canaryRate, errors: f.canaryErrors, exposures: f.canaryExposures },
    { name: 'control', rate: f.controlRate, errors: f.controlErrors, exposures: f.controlExposures },
  ]
  const height = ROW * rows.length + 8
  return (
    <figure class="chart window">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby="window-chart-title" data-chart="window">
        <title id="window-chart-title">
          Current {f.windowSeconds}-second window: canary {formatRate(f.canaryRate)} ({formatCount(f.canaryErrors)} of{' '}
          {formatCount(f.canaryExposures)}), control {formatRate(f.controlRate)}
        </title>
        {rows.map((row, i) => {
          const top = 4 + i * ROW
          return (
            <g class={`series ${row.name}`} data-series={`window-${row.name}`}>
              <text class="axis" x={LEFT - 8} y={top + 19} text-anchor="end">
                {row.name}
              </text>
              <rect x={LEFT} y={top + 6} width={Math.max(0, x(row.rate ?? 0) - LEFT)} height={ROW - 14} rx="2" />
              <text class="value" x={Math.min(W - RIGHT - 4, x(row.rate ?? 0) + 6)} y={top + 19}>
                {formatRate(row.rate)} · {formatCount(row.errors)}/{formatCount(row.exposures)}
              </text>
            </g>
          )
        })}
        {f.canaryExposures > 0 ? (
          <g class="interval">
            <line x1={x(f.canaryLower)} x2={x(f.canaryUpper)} y1={4 + ROW / 2 + 2} y2={4 + ROW / 2 + 2} />
          </g>
        ) : null}
        {props.limit !== null ? (
          <g class="limit">
            <line x1={x(props.limit)} x2={x(props.limit)} y1="2" y2={height - 2} />
          </g>
        ) : null}
      </svg>
    </figure>
  )
}
