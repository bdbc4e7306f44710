import type { MinuteCounts } from '../api/types.ts'

const HOUR = 3_600_000

/** Canary + control exposures reported in the hour before `now`. */
export function exposuresLastHour(minutes: readonly MinuteCounts[], now: number): number {
  return minutes
    .filter((m) => m.minute >= now - HOUR)
    .reduce((sum, m) => sum + m.canaryExposures + m.controlExposures, 0)
}

export type AudienceEstimate =
  | { kind: 'change'; delta: number; exposures: number }
  | { kind: 'unknown'; reason: string }
  | { kind: 'same' }

/**
 * How many more (or fewer) exposures an hour a new percentage reaches, from the last hour's
 * canary + control exposures: the people who met the cohort's conditions, whichever side of
 * the split they fell on. `exposures × (new% − old%) / 100`. An estimate: it counts
 * evaluations, not distinct people, and the counts are per flag, not per cohort.
 *
 * Rollouts of one flag nest (`api-shapes/cohort-reach.ts`): when another cohort already gives
 * the flag to `covered`% of this cohort's audience, only the part of the change above that
 * reaches anyone: `max(new, covered) − max(old, covered)`.
 *
 * @example
 * estimateAudience({ oldRollout: 1, newRollout: 5, exposures: 2400, sameConditions: true })
 * // { kind: 'change', delta: 96, exposures: 2400 }
 */
export function estimateAudience(input: {
  oldRollout: number | null
  newRollout: number
  exposures: number
  sameConditions: boolean
  /** The share of this cohort's audience other cohorts already give the flag to (default 0). */
  covered?: number
}): AudienceEstimate {
  const { oldRollout, newRollout, exposures } = input
  const covered = input.covered ?? 0
  if (oldRollout === newRollout && input.sameConditions) return { kind: 'same' }
  if (oldRollout === null)
    return {
      kind: 'unknown',
      reason: 'a new cohort: nobody was counted against its conditions yet',
    }
  if (!input.sameConditions)
    return {
      kind: 'unknown',
      reason: 'its conditions changed: the last hour counted a different audience',
    }
  if (exposures === 0)
    return {
      kind: 'unknown',
      reason: 'no exposures reported in the last hour (flag off, or no SDK reporting)',
    }
  return {
    kind: 'change',
    delta: Math.round((exposures * (Math.max(newRollout, covered) - Math.max(oldRollout, covered))) / 100),
    exposures,
  }
}
