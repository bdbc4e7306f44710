/** Display helpers: one way to write percentages, rates, counts and times everywhere. */

const counts = new Intl.NumberFormat('en', { maximumFractionDigits: 0 })

export const formatCount = (n: number) => counts.format(n)

/** A rollout percentage as stored (up to 3 decimals): `5%`, `0.125%`. */
export const formatPercent = (p: number) => (Number.isFinite(p) ? `${Number(p.toFixed(3))}%` : '?%')

/** An error rate (0–1) as a percentage with one or two decimals. */
export const formatRate = (rate: number | null | undefined) =>
  rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(rate < 0.1 ? 2 : 1)}%`

export const formatTime = (ms: number) =>
  new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' })

export const formatClock = (ms: number) =>
  new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })

/** `in 4 min`, `2 h ago`: for due times and connection ages. */
export function formatRelative(ms: number, now: number): string {
  const seconds = Math.round((ms - now) / 1000)
  const abs = Math.abs(seconds)
  const text =
    abs < 60
      ? `${abs} s`
      : abs < 3600
        ? `${Math.round(abs / 60)} min`
        : abs < 86_400
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86_400)} d`
  return seconds >= 0 ? `in ${text}` : `${text} ago`
}

/** Any JSON value in a short readable form, for diffs and details. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '—'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number'))
    return value.length > 12
      ? `${value.slice(0, 12).join(', ')} … (+${value.length - 12})`
      : value.join(', ')
  return JSON.stringify(value)
}

/** A span of seconds in words (shared with the CLI). */
export { durationText as formatDuration } from '../../../api-shapes/guard-words.ts'
