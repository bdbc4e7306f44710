import type { Cohort } from '../../sdk/core/types.ts'

/**
 * The segment keys that cohorts' conditions refer to, in order (a key once per reference).
 *
 * @example
 * segmentRefs([{ name: 'staff', rollout: 100, conditions: [{ segment: 'internal' }] }]) // ['internal']
 */
export const segmentRefs = (cohorts: readonly Cohort[]): string[] =>
  cohorts.flatMap((c) => c.conditions.flatMap((cond) => ('segment' in cond ? [cond.segment] : [])))

/** Whether any of the cohorts refers to the segment: the one rule for "this flag uses it". */
export const usesSegment = (cohorts: readonly Cohort[], segmentKey: string): boolean =>
  cohorts.some((c) => c.conditions.some((cond) => 'segment' in cond && cond.segment === segmentKey))
