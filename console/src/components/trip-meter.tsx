import { progressPercent } from '../lib/evidence.ts'

const W = 480
const H = 16

/**
 * "How close to a trip": the guard's `figures.progress` (0–1) as a bar, with its value for
 * assistive technology. SVG, like the charts: the page's CSP allows no inline styles.
 */
export function TripMeter(props: { progress: number; crossed: boolean; label?: string }) {
  const pct = progressPercent(props.progress, props.crossed)
  const level = props.crossed ? 'tripped' : pct >= 50 ? 'high' : pct >= 10 ? 'some' : 'low'
  const label = props.label ?? 'How close to a trip'
  return (
    <div
      class={`trip-meter ${level}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      aria-valuetext={`${pct}% of the way to a trip`}
      data-progress={pct}
    >
      <svg viewBox={`0 0 ${W} ${H}`} aria-hidden="true" preserveAspectRatio="none">
        <rect class="track" x="0" y="0" width={W} height={H} rx="3" />
        <rect class="fill" x="0" y="0" width={(W * pct) / 100} height={H} rx="3" />
      </svg>
      <span class="trip-meter-text">
        {label}: <strong>{pct}%</strong>
      </span>
    </div>
  )
}
