import { bucketingText } from './bucketing-words.ts'
import type { CohortBucketingShape, ConditionShape, ConditionSummary } from './rules.ts'

/**
 * What each cohort of a flag really adds to who gets it. Every cohort of a flag buckets a user
 * with the flag's one salt (`sdk/core/evaluate.ts`: one bucket per user and flag), so a user
 * gets the flag when some cohort whose conditions they meet has a rollout above their bucket:
 * rollouts nest, they do not add up. A user meeting `everyone` at 10% and `region in
 * [eu-west]` at 25% is in at 25%, not 35%; `eu-west` at 5% beside `everyone` at 10% adds
 * nobody.
 *
 * Overlap is only claimed where it is certain: cohort A covers cohort B when A's conditions are
 * all among B's (then whoever meets B meets A). Cohorts whose audiences merely may overlap
 * (`region in [eu-west]`, `plan in [pro]`) are reported as they are, each its own share.
 */
export interface CohortReach {
  /** The cohort's own rollout. */
  rollout: number
  /**
   * The share of this cohort's audience that an earlier or wider cohort already gives the flag
   * to (0 when none covers it), and which cohort that is.
   */
  covered: number
  coveredBy: string | undefined
  /** Percentage points of its audience this cohort adds: `max(0, rollout − covered)`. */
  adds: number
}

type AnyCondition = ConditionShape | ConditionSummary

/**
 * A condition's identity for comparison, or undefined when a summary does not carry all of it
 * (a long value list cut to its first values): such a condition is never claimed equal.
 */
function conditionKey(c: AnyCondition): string | undefined {
  if ('segment' in c) return JSON.stringify(['segment', c.segment, !!c.negate])
  if ('valueCount' in c && c.valueCount !== c.values.length) return undefined
  const ci = 'caseInsensitive' in c && !!c.caseInsensitive
  return JSON.stringify([c.attribute, c.operator, [...c.values].map(String).sort(), !!c.negate, ci])
}

/** Whether every condition of `wider` is among `narrower`'s (so `narrower`'s audience is within `wider`'s). */
function covers(wider: readonly AnyCondition[], narrower: readonly AnyCondition[]): boolean {
  const keys = new Set(narrower.map(conditionKey).filter((k) => k !== undefined))
  return wider.every((c) => {
    const key = conditionKey(c)
    return key !== undefined && keys.has(key)
  })
}

/**
 * Each cohort's reach, in order. Between two cohorts with the same conditions the earlier one
 * is credited (the later one adds only what it has above it).
 *
 * @example
 * cohortReach([
 *   { name: 'everyone', rollout: 10, conditions: [] },
 *   { name: 'eu', rollout: 5, conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }] },
 * ])
 * // [{ rollout: 10, covered: 0, coveredBy: undefined, adds: 10 },
 * //  { rollout: 5, covered: 10, coveredBy: 'everyone', adds: 0 }]
 */
export function cohortReach(
  cohorts: ReadonlyArray<{ name: string; rollout: number; conditions: readonly AnyCondition[]; bucketing?: CohortBucketingShape | undefined }>,
): CohortReach[] {
  return cohorts.map((cohort, i) => {
    let covered = 0
    let coveredBy: string | undefined
    cohorts.forEach((other, j) => {
      if (j === i || other.rollout <= covered) return
      if (!covers(other.conditions, cohort.conditions)) return
      // Rollouts nest only under one hash: a cohort bucketed another way (an imported cohort's
      // Unleash or LaunchDarkly mode) draws its own users, so only its 100% is certain to cover.
      if (other.rollout < 100 && bucketingText(other.bucketing) !== bucketingText(cohort.bucketing)) return
      // Same audience both ways: only the earlier cohort covers the later one.
      if (j > i && covers(cohort.conditions, other.conditions)) return
      covered = other.rollout
      coveredBy = other.name
    })
    return { rollout: cohort.rollout, covered, coveredBy, adds: Math.max(0, cohort.rollout - covered) }
  })
}
