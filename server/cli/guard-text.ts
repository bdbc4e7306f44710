import { timestamp } from './format.ts'
import { GUARD_HEALTH_TEXT } from '../../api-shapes/audience.ts'
import { durationText, progressPercent, RULE_TEXT } from '../../api-shapes/guard-words.ts'
import { tripSummary } from '../../api-shapes/trip-words.ts'
import { countedSecondsText } from '../../api-shapes/counted-words.ts'
import type { GuardFigures as GuardFiguresView, GuardReport as GuardReportView, PlanFigures as PlanFiguresView, PlanPreview as PlanPreviewView, PlanProgress as PlanProgressView, Plan as PlanView, RuleReading as RuleReadingView, StoredGuard as StoredGuardView, TripRecord as TripRecordView } from '../../api-shapes/index.ts'

/*
 * The guard's evidence and rollout plans in words, for `guard show`, `plan show` and
 * `plan start`. Pure: each function returns lines, so they are tested without a server.
 */

const counts = new Intl.NumberFormat('en', { maximumFractionDigits: 0 })
export const count = (n: number) => counts.format(n)

/** An error rate (0–1) as a percentage: `0.30%`, `12.5%`; `-` when there is none. */
export const rate = (r: number | null | undefined) =>
  r === null || r === undefined ? '-' : `${(r * 100).toFixed(r < 0.1 ? 2 : 1)}%`

/** A rollout percentage as stored: `5%`, `0.125%`. */
const pct = (p: number) => `${Number(p.toFixed(3))}%`
const pcts = (list: readonly number[]) => list.map(pct).join(', ')

/** A statistic from JSON: infinite ones arrive as null. */
const stat = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(2))

const TEST: Record<string, string> = { mixture: 'test since the start', change: 'change detector' }

/** What the guard does, from its settings. */
export function settingsLine(g: StoredGuardView): string {
  const floor = g.minExposures ?? 0
  return [
    `off above ${rate(g.maxErrorRate)} errors`,
    g.maxRatioToControl === undefined ? null : `or above ${g.maxRatioToControl}× control's rate`,
    g.latency ? latencyLine(g.latency) : null,
    g.evidence === 'server' ? 'evidence: servers only (browsers ignored)' : 'evidence: servers and browsers',
    floor > 0 ? `no trip before ${count(floor)} canary exposures` : 'no exposure floor',
    `recent figures over ${g.windowSeconds ?? 60} s`,
  ]
    .filter(Boolean)
    .join('; ')
}

/** The latency rule from its settings: `or when over 10.0% of timed requests (or 2× control's share) are slower than 500 ms`. */
function latencyLine(l: NonNullable<StoredGuardView['latency']>): string {
  const limits = [l.maxSlowRate === undefined ? null : `over ${rate(l.maxSlowRate)}`, l.maxSlowRatioToControl === undefined ? null : `over ${l.maxSlowRatioToControl}× control's share`]
  return `or when ${limits.filter(Boolean).join(' or ')} of timed requests are slower than ${count(l.slowerThanMs)} ms`
}

/** Every rule's reading that runs (null readings are rules without a setting). */
const readings = (f: GuardFiguresView) => [f.maxErrorRate, f.maxRatioToControl, f.maxSlowRate, f.maxSlowRatioToControl]

/** How strong the evidence against the canary is. */
export function closeness(f: GuardFiguresView): string {
  const crossed = readings(f).some((r) => (r?.crossed ?? null) !== null)
  const p = progressPercent(f.progress, crossed)
  const words = crossed
    ? 'the evidence shows the canary is worse than its limit'
    : f.canaryExposures === 0
      ? 'no canary traffic counted yet'
      : p < 10
        ? 'no sign of a problem'
        : p < 50
          ? 'some evidence the canary is worse than its limit'
          : 'strong evidence the canary is worse than its limit'
  return `how close to a trip: ${p}% (${words})`
}

const reading = (r: RuleReadingView) =>
  `since the start ${stat(r.statistic)} of ${stat(r.threshold)}, change detector ` +
  `${stat(r.changeStatistic)} of ${stat(r.changeThreshold)} (${progressPercent(r.progress, r.crossed !== null)}%)`

const arms = (f: { canaryErrors: number; canaryExposures: number; controlErrors: number; controlExposures: number }) => {
  const r = (e: number, n: number) => rate(n > 0 ? e / n : null)
  return (
    `canary ${count(f.canaryErrors)} errors in ${count(f.canaryExposures)} exposures (${r(f.canaryErrors, f.canaryExposures)}), ` +
    `control ${count(f.controlErrors)} in ${count(f.controlExposures)} (${r(f.controlErrors, f.controlExposures)})`
  )
}

/** The evidence since the start: counts, how close to a trip, and each rule's test. */
export function evidenceLines(f: GuardFiguresView, g: StoredGuardView | null): string[] {
  const lines = [
    `evidence since ${timestamp(f.since)} (${countedSecondsText(f.seconds)}): ${arms(f)}`,
    closeness(f),
    `  ${RULE_TEXT.max_error_rate} (${rate(g?.maxErrorRate)}): ${reading(f.maxErrorRate)}`,
  ]
  if (f.maxRatioToControl)
    lines.push(`  ${RULE_TEXT.max_ratio_to_control} (${g?.maxRatioToControl ?? '?'}×): ${reading(f.maxRatioToControl)}`)
  if (f.slowerThanMs !== null)
    lines.push(
      `  slower than ${count(f.slowerThanMs)} ms: canary ${slowShare(f.canarySlowRate, f.canarySlow, f.canaryTimed)}, ` +
        `control ${slowShare(f.controlSlowRate, f.controlSlow, f.controlTimed)}`,
    )
  if (f.maxSlowRate) lines.push(`  ${RULE_TEXT.max_slow_rate} (${rate(g?.latency?.maxSlowRate)}): ${reading(f.maxSlowRate)}`)
  if (f.maxSlowRatioToControl)
    lines.push(`  ${RULE_TEXT.max_slow_ratio_to_control} (${g?.latency?.maxSlowRatioToControl ?? '?'}×): ${reading(f.maxSlowRatioToControl)}`)
  const floor = g?.minExposures ?? 0
  if (floor > f.canaryExposures)
    lines.push(`  no trip before ${count(floor)} canary exposures (${count(f.canaryExposures)} so far)`)
  return lines
}

/** An arm's slow share: `12.0% (24 of 200 timed)`, or that it has reported no durations. */
const slowShare = (r: number | null, slow: number, timed: number) =>
  r === null ? 'no durations reported yet' : `${rate(r)} (${count(slow)} of ${count(timed)} timed)`

/** A trip's frozen record, told by the one trip-wording module (the words the audit entry and webhook carry). */
export function tripLine(t: TripRecordView): string {
  const limit = t.rule === 'max_error_rate' || t.rule === 'max_slow_rate' ? rate(t.limit) : `${t.limit}×`
  return (
    `last trip: ${timestamp(t.at)}, ${RULE_TEXT[t.rule] ?? t.rule} (${limit}), ${TEST[t.test] ?? t.test}; ${tripSummary(t)}` +
    // The record stays after the flag is back on, until the next trip.
    (t.resolvedAt != null ? `; turned back on ${timestamp(t.resolvedAt)}` : '')
  )
}

/** A plan step's evidence that the rate is below the limit. */
export function planEvidenceLine(e: PlanFiguresView): string {
  return (
    `${count(e.canaryErrors)} canary errors in ${count(e.canaryExposures)} exposures this step` +
    (e.canaryExposures > 0 ? ` (${rate(e.canaryRate)}); ` : '; ') +
    (e.proven || !e.waitingOn.includes('max_error_rate')
      ? 'shown below the limit'
      : `not yet shown below the limit (statistic ${stat(e.statistic)} of ${stat(e.threshold)})`) +
    (e.waitingOn.includes('max_slow_rate')
      ? `; slow requests ${e.canarySlowRate === null ? 'not yet reported (no durations this step)' : `at ${rate(e.canarySlowRate)}, not yet shown below their limit`}`
      : '')
  )
}

/** Where a plan stands: status, steps, what it waits for and when it holds. */
export function planLines(plan: PlanView, progress: PlanProgressView | null, now: number): string[] {
  const next = plan.steps[plan.step + 1]
  const lines = [
    `plan: ${plan.status} on cohort ${plan.cohort}, step ${plan.step + 1} of ${plan.steps.length} ` +
      `(${pct(plan.steps[plan.step] ?? 0)}); steps ${pcts(plan.steps)}`,
  ]
  if (plan.skipped?.length) lines.push(`  skipped ${pcts(plan.skipped)} (the cohort was already at or above them)`)
  const evidence = progress?.evidence?.step === plan.step ? progress.evidence : null
  if (plan.status === 'active' && progress?.waitingForEvidence) {
    lines.push(`  waiting for evidence: the next step (${next === undefined ? '-' : pct(next)}) is due, but the error rate is not yet shown below the limit`)
    if (evidence) lines.push(`  ${planEvidenceLine(evidence)}`)
    if (progress.holdsAt !== null)
      lines.push(`  holds at ${timestamp(progress.holdsAt)} (in ${durationText((progress.holdsAt - now) / 1000)}) unless the evidence comes`)
  } else if (plan.status === 'active' && plan.nextAt !== null && next !== undefined) {
    lines.push(`  next step ${pct(next)} due ${timestamp(plan.nextAt)}, once the evidence shows the error rate is below the limit`)
    if (evidence) lines.push(`  so far: ${planEvidenceLine(evidence)}`)
  }
  if (plan.status === 'held')
    lines.push(`  held: ${plan.note?.replace(/^held: /, '') ?? 'no evidence in time'}`, '  resume it with: canary plan resume, or cancel it')
  // The start's note repeats the skipped steps, printed above.
  else if (plan.note && !(plan.skipped?.length && plan.note.startsWith('skipped '))) lines.push(`  note: ${plan.note}`)
  return lines
}

/** `guard show`: status, settings, evidence, recent rates, last trip, a waiting plan. */
export function guardLines(key: string, env: string, r: GuardReportView, plan: PlanView | null, now: number): string[] {
  const lines = [`${key} in ${env}: guard ${GUARD_HEALTH_TEXT[r.status] ?? r.status}`]
  if (r.guard) lines.push(`guard: ${settingsLine(r.guard)}`)
  const f = r.decision?.figures
  if (f) lines.push(...evidenceLines(f, r.guard))
  else if (r.guard)
    lines.push(
      r.status === 'off' || r.status === 'tripped'
        ? 'evidence: none (the flag is off; the guard counts afresh when it is turned on)'
        : 'evidence: none yet (the guard counts from when the flag is turned on or its settings change)',
    )
  if (r.recent) lines.push(`recent ${r.recent.seconds} s: ${arms(r.recent)}`)
  const trip = r.guard?.lastTrip
  if (trip) lines.push(tripLine(trip))
  if (plan) lines.push(...planLines(plan, r.planProgress, now))
  else if (r.planProgress.waitingForEvidence) lines.push('plan: waiting for evidence')
  return lines
}

/** What `plan start` will do, before it does it. */
export function previewLines(key: string, env: string, p: PlanPreviewView): string[] {
  const lines = [`plan for ${key} in ${env}, cohort ${p.cohort} (now ${pct(p.from)}):`]
  if (p.replaces) {
    const old = p.replaces
    lines.push(`  replaces: the ${old.status} plan on cohort ${old.cohort}, step ${old.step + 1} of ${old.steps.length} (${pct(old.steps[old.step] ?? 0)})`)
  }
  // The API's words (api-shapes/plan-words.ts), the same the console shows.
  lines.push(p.summary === null ? '  will run: nothing (every step is at or below the cohort\'s rollout)' : `  cohort ${p.cohort} ${p.summary}`)
  if (p.skipped.length)
    lines.push(`  skipped: ${pcts(p.skipped)} (at or below the cohort's current ${pct(p.from)}; a plan never narrows a cohort)`)
  return lines
}
