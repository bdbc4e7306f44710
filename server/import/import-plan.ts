import type { AttributeCondition, Cohort } from '../../sdk/core/types.ts'

/**
 * What an importer (Unleash, LaunchDarkly) turns a source file into: flags and segments in this
 * project's shapes, and one report line per source flag. Pure data; the import service writes it
 * in one transaction (or, for a dry run, only shows the report).
 */

/** A cohort as imported: the core's shape, with `bucketing` set to the source's hash where it has one. */
export type ImportedCohort = Cohort

export interface ImportedFlag {
  /** Exactly as the source names it (apps call `isEnabled` with it). */
  key: string
  description: string
  /** The state in the target environment. */
  enabled: boolean
  cohorts: ImportedCohort[]
}

export interface ImportedSegment {
  key: string
  description: string
  userIds: string[]
  conditions: AttributeCondition[]
}

/**
 * - `exact`: every user gets the answer the source gives (the notes name caveats that no
 *   deterministic evaluator can reproduce, such as Unleash's per-call random stickiness).
 * - `approximate`: imported; some users may get a different answer, the notes say which and why.
 * - `cannot_map`: not imported (custom strategies, multivariate flags, …); the notes say why.
 */
export type MapStatus = 'exact' | 'approximate' | 'cannot_map'

export interface FlagReport {
  key: string
  status: MapStatus
  notes: string[]
}

export interface SegmentReport {
  /** The source's id or key. */
  source: string
  /** The segment created here; absent when the source segment is inlined or unused. */
  key?: string | undefined
  notes: string[]
}

export interface ImportPlan {
  source: 'unleash' | 'launchdarkly'
  flags: ImportedFlag[]
  segments: ImportedSegment[]
  /** One line per source flag, in the source's order; `cannot_map` flags are not in `flags`. */
  report: FlagReport[]
  segmentReport: SegmentReport[]
}

/**
 * A source file that is not what it claims to be. `path` names the place
 * (`features[3].strategies[0].constraints[1].operator`), so the message can be acted on.
 */
export class ImportFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || 'file'}: ${problem}`)
    this.name = 'ImportFileError'
  }
}

/** The worst of the statuses (`cannot_map` > `approximate` > `exact`). */
export function worstStatus(statuses: readonly MapStatus[]): MapStatus {
  if (statuses.includes('cannot_map')) return 'cannot_map'
  return statuses.includes('approximate') ? 'approximate' : 'exact'
}
