import type { Cohort } from '../api/types.ts'
import { describeCohort } from './describe.ts'
import { RULE_WORDS } from '../../../api-shapes/audit-words.ts'
import { formatDuration, formatPercent, formatRate, formatTime, formatValue } from './format.ts'

/** One changed field of an audit entry, in words. */
export interface DiffLine {
  field: string
  before: string
  after: string
}

/** Bookkeeping every change touches; listing it would bury the real change. */
const NOISE = new Set(['version', 'updatedAt', 'createdAt'])
const TIMES = new Set(['at', 'nextAt', 'startedAt'])

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isCohortList = (v: unknown): v is Cohort[] =>
  Array.isArray(v) &&
  v.every((c) => isRecord(c) && typeof c.name === 'string' && Array.isArray(c.conditions))
/** Equal as JSON; a missing field and `null` both mean "not set". */
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

function show(key: string, value: unknown): string {
  if (value === undefined || value === null) return '—'
  if (key === 'lastTrip' && isRecord(value))
    return `tripped ${formatTime(Number(value.at))} (${RULE_WORDS[String(value.rule)] ?? String(value.rule)})`
  if (key === 'maxErrorRate' && typeof value === 'number') return formatRate(value)
  if (key === 'maxRatioToControl' && typeof value === 'number') return `${value}× control`
  if ((key === 'intervalSeconds' || key === 'maxWaitSeconds' || key === 'windowSeconds') && typeof value === 'number')
    return formatDuration(value)
  if ((key === 'steps' || key === 'skipped') && Array.isArray(value))
    return value.map((v) => formatPercent(Number(v))).join(', ')
  // The plan's step is an index; people count from one.
  if (key === 'step' && typeof value === 'number') return `step ${value + 1}`
  // Rule names also appear inside notes ("guard tripped (max_error_rate)"): words there too.
  if (typeof value === 'string')
    return value.replace(/max_error_rate|max_ratio_to_control/g, (rule) => RULE_WORDS[rule] ?? rule)
  if (key === 'rollout' && typeof value === 'number') return formatPercent(value)
  if (TIMES.has(key) && typeof value === 'number') return formatTime(value)
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  return formatValue(value)
}

/** Cohorts matched by name, so a widening reads "cohort region · rollout: 1% → 5%". */
function cohortLines(before: Cohort[], after: Cohort[]): DiffLine[] {
  const lines: DiffLine[] = []
  const byName = (list: Cohort[]) => new Map(list.map((c) => [c.name, c]))
  const old = byName(before)
  const next = byName(after)
  for (const [name, a] of old) {
    const b = next.get(name)
    if (!b) lines.push({ field: `cohort ${name}`, before: describeCohort(a), after: 'removed' })
    else {
      if (!same(a.conditions, b.conditions))
        lines.push({
          field: `cohort ${name} · who`,
          before: describeCohort(a),
          after: describeCohort(b),
        })
      else if (a.rollout !== b.rollout)
        lines.push({
          field: `cohort ${name} · rollout`,
          before: formatPercent(a.rollout),
          after: formatPercent(b.rollout),
        })
    }
  }
  for (const [name, b] of next)
    if (!old.has(name))
      lines.push({ field: `cohort ${name}`, before: '—', after: `added: ${describeCohort(b)}` })
  const order = (list: Cohort[]) => list.map((c) => c.name).filter((n) => old.has(n) && next.has(n))
  if (!same(order(before), order(after)))
    lines.push({
      field: 'cohort order',
      before: order(before).join(', '),
      after: order(after).join(', '),
    })
  return lines
}

/**
 * The fields that differ between an audit entry's `before` and `after`, in words: changed
 * fields only, nested objects flattened to `guard.maxErrorRate`, cohorts compared by name.
 *
 * @example
 * auditDiff({ enabled: true, version: 4 }, { enabled: false, version: 5 })
 * // [{ field: 'enabled', before: 'on', after: 'off' }]
 */
export function auditDiff(before: unknown, after: unknown, prefix = ''): DiffLine[] {
  if (!isRecord(before) && !isRecord(after)) {
    const key = prefix.slice(prefix.lastIndexOf('.') + 1)
    return same(before, after)
      ? []
      : [{ field: prefix || 'value', before: show(key, before), after: show(key, after) }]
  }
  const a = isRecord(before) ? before : {}
  const b = isRecord(after) ? after : {}
  const lines: DiffLine[] = []
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (NOISE.has(key) || same(a[key], b[key])) continue
    const field = prefix ? `${prefix}.${key}` : key
    const x = a[key]
    const y = b[key]
    if (key === 'cohorts' && (isCohortList(x) || x == null) && (isCohortList(y) || y == null))
      lines.push(...cohortLines(x ?? [], y ?? []))
    else if (key !== 'lastTrip' && (isRecord(x) || isRecord(y)))
      lines.push(...auditDiff(x, y, field))
    else lines.push({ field, before: show(key, x), after: show(key, y) })
  }
  return lines
}
