import type { FlagReport, MapStatus, SegmentReport } from './import-plan.ts'

/**
 * The import report as text, one line per source flag and segment (what `canary import` and
 * `canary verify` print): status, key, and the notes after a dash.
 */

const WORDS: Record<MapStatus, string> = { exact: 'exact', approximate: 'approximate', cannot_map: 'cannot map' }

/** How an import treated each flag and segment (the store's outcome). */
export interface OutcomeLike {
  flags: Array<{ key: string; action: string }>
  segments: Array<{ key: string; action: string }>
}

/**
 * @example
 * flagReportLines([{ key: 'Feature.A', status: 'approximate', notes: ['random stickiness …'] }])
 * // ['approximate  Feature.A — random stickiness …']
 */
export function flagReportLines(report: readonly FlagReport[], outcome?: OutcomeLike): string[] {
  const actions = new Map(outcome?.flags.map((f) => [f.key, f.action]))
  return report.map((line) => {
    const action = actions.get(line.key)
    const notes = [...(action === undefined ? [] : [action]), ...line.notes]
    return `${WORDS[line.status].padEnd(12)} ${line.key}${notes.length > 0 ? ` — ${notes.join('; ')}` : ''}`
  })
}

export function segmentReportLines(report: readonly SegmentReport[], outcome?: OutcomeLike): string[] {
  const actions = new Map(outcome?.segments.map((s) => [s.key, s.action]))
  return report.map((line) => {
    const target = line.key === undefined ? 'no segment here' : `segment ${line.key}${actions.has(line.key) ? ` (${actions.get(line.key)})` : ''}`
    return `segment      ${line.source} → ${target}${line.notes.length > 0 ? ` — ${line.notes.join('; ')}` : ''}`
  })
}

/** `300 flags: 280 exact, 15 approximate, 5 cannot map`. */
export function statusSummary(report: readonly FlagReport[]): string {
  const count = (s: MapStatus) => report.filter((r) => r.status === s).length
  return `${report.length} flags: ${count('exact')} exact, ${count('approximate')} approximate, ${count('cannot_map')} cannot map`
}

/** `created 12, updated 0, unchanged 3, overwritten 0` (flags and segments together). */
export function outcomeSummary(outcome: OutcomeLike): string {
  const all = [...outcome.flags, ...outcome.segments]
  const count = (a: string) => all.filter((x) => x.action === a).length
  return `created ${count('create')}, updated ${count('update')}, unchanged ${count('unchanged')}, overwritten ${count('overwrite')}`
}
