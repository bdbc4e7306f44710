import type { Cohort } from '../sdk/core/types.ts'
import { bucketingText } from './bucketing-words.ts'
import { cohortReach, type CohortReach } from './cohort-reach.ts'
import { planDrift } from './plan-drift.ts'
import type { GuardHealth } from './guard.ts'
import type { PlanSummary } from './plan.ts'
import type { CohortSummary, ConditionShape, ConditionSummary } from './rules.ts'

/** How many values of a long `in` list a summary carries (the count says how many there are). */
const SHOWN = 3

/**
 * Cohorts shortened for a flags list: every condition kept, long value lists cut to their
 * first few with the full count, so the list stays small however long a beta list grows.
 *
 * @example
 * summarizeCohorts([{ name: 'beta', rollout: 100, conditions: [{ attribute: 'userId', operator: 'in', values: ['a', 'b', 'c', 'd'] }] }])
 * // [{ name: 'beta', rollout: 100, conditions: [{ attribute: 'userId', operator: 'in', values: ['a', 'b', 'c'], valueCount: 4 }] }]
 */
export function summarizeCohorts(cohorts: readonly Cohort[]): CohortSummary[] {
  return cohorts.map((c) => ({
    name: c.name,
    rollout: c.rollout,
    ...(c.bucketing === undefined ? {} : { bucketing: c.bucketing }),
    conditions: c.conditions.map((cond): ConditionSummary =>
      'segment' in cond
        ? cond
        : {
            attribute: cond.attribute,
            operator: cond.operator,
            values: cond.values.slice(0, SHOWN),
            valueCount: cond.values.length,
            ...(cond.negate ? { negate: true } : {}),
            ...(cond.caseInsensitive ? { caseInsensitive: true } : {}),
          },
    ),
  }))
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
const pct = (p: number) => `${p}%`

/** How many values of a long list a condition in words shows before `+N more`. */
const SHOWN_VALUES = 5

/**
 * A condition in words, exactly: the one wording of the CLI's tables and the console's cohort
 * descriptions and audit entries (the flags list's audience shortens it, see `audiencePart`).
 * `region in [eu-west, us-east]`, `not in segment staff`, `email exists`,
 * `userId in [a, b, c, d, e, +2 more]`, `name starts_with [ann] (ignoring case)`. A summary
 * (which carries a long list's first values and its count) reads the same.
 *
 * @example
 * conditionText({ attribute: 'region', operator: 'in', values: ['eu-west'] }) // 'region in [eu-west]'
 * conditionText({ segment: 'staff', negate: true }) // 'not in segment staff'
 */
export function conditionText(c: ConditionShape | ConditionSummary): string {
  const not = c.negate ? 'not ' : ''
  if ('segment' in c) return `${not}in segment ${c.segment}`
  if (c.operator === 'exists') return `${not}${c.attribute} exists`
  const shown = c.values.slice(0, SHOWN_VALUES).map(String)
  const more = ('valueCount' in c ? c.valueCount : c.values.length) - shown.length
  const values = more > 0 ? [...shown, `+${more} more`] : shown
  const ci = 'caseInsensitive' in c && c.caseInsensitive ? ' (ignoring case)' : ''
  return `${not}${c.attribute} ${c.operator} [${values.join(', ')}]${ci}`
}

/**
 * A cohort's conditions in words (they must all hold), or `everyone` when it has none.
 *
 * @example
 * conditionsText([{ attribute: 'region', operator: 'in', values: ['eu'] }, { segment: 'beta' }]) // 'region in [eu] and in segment beta'
 */
export const conditionsText = (conditions: ReadonlyArray<ConditionShape | ConditionSummary>): string =>
  conditions.length === 0 ? 'everyone' : conditions.map(conditionText).join(' and ')

/**
 * A condition as an audience says it, shortened for "25% of …": `region eu-west`, `3 users`,
 * `segment internal-staff`, `appVersion semver gt 2.0.0`. A summary on purpose (a user list is
 * its count); where the exact rule matters (cohort tables, audit entries) `conditionText` says it.
 */
function audiencePart(c: ConditionSummary): string {
  if ('segment' in c) return `${c.negate ? 'not in ' : ''}segment ${c.segment}`
  const not = c.negate ? 'not ' : ''
  const more = c.valueCount - c.values.length
  const values = c.values.join(', ') + (more > 0 ? ` +${more} more` : '')
  if (c.attribute === 'userId' && c.operator === 'in' && !c.negate) return plural(c.valueCount, 'user')
  if (c.operator === 'in') return `${c.attribute} ${not ? 'not ' : ''}${values}`
  if (c.operator === 'not_in') return `${c.attribute} ${c.negate ? '' : 'not '}${values}`
  if (c.operator === 'exists') return `${not}with ${c.attribute}`
  return `${not}${c.attribute} ${c.operator.replace(/_/g, ' ')} ${values}`
}

/**
 * Whom a cohort's conditions describe: `region eu-west`, `3 users`, `all users`.
 *
 * @example
 * whoText({ conditions: [] }) // 'all users'
 */
export const whoText = (c: Pick<CohortSummary, 'conditions'>) =>
  c.conditions.length === 0 ? 'all users' : c.conditions.map(audiencePart).join(' and ')

/**
 * What a cohort adds beside the flag's other cohorts, when another one already covers part of
 * its audience (rollouts nest, see `cohort-reach.ts`): ` (adds nobody: within everyone's 10%)`,
 * ` (adds 15%: 10% of them already through everyone)`; empty when nothing covers it, or when
 * it is at 100% and adds something.
 *
 * @example
 * reachText({ rollout: 5, covered: 10, coveredBy: 'everyone', adds: 0 }) // ' (adds nobody: within everyone's 10%)'
 */
export function reachText(reach: CohortReach | undefined): string {
  if (!reach || reach.coveredBy === undefined || reach.rollout === 0) return ''
  // A cohort at 100% that adds something reads right without it (`beta: 3 users`).
  if (reach.rollout === 100 && reach.adds > 0) return ''
  if (reach.adds === 0) return ` (adds nobody: within ${reach.coveredBy}'s ${pct(reach.covered)})`
  return ` (adds ${pct(round3(reach.adds))}: ${pct(reach.covered)} of them already through ${reach.coveredBy})`
}

/** Percentage points without float noise (25.5 − 10.1 is 15.4, not 15.399999999999999). */
const round3 = (p: number) => Math.round(p * 1000) / 1000

/**
 * One cohort in words, truthful about how many of whom: `beta: 3 users`,
 * `eu-canary: 25% of region eu-west`, `everyone: 5% of all users`, `paused: nobody (0%)`, and,
 * given its reach among the flag's cohorts, what it adds: `eu: 5% of region eu-west (adds
 * nobody: within everyone's 10%)`.
 *
 * @example
 * cohortText({ name: 'eu', rollout: 25, conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'], valueCount: 1 }] })
 * // 'eu: 25% of region eu-west'
 */
export function cohortText(c: CohortSummary, reach?: CohortReach): string {
  const who = whoText(c)
  // An imported cohort's hash is part of who is in it: said wherever the cohort is.
  const hash = c.bucketing === undefined ? '' : ` · bucketed as ${bucketingText(c.bucketing)}`
  if (c.rollout === 0) return `${c.name}: nobody yet (0% of ${who})${hash}`
  if (c.rollout === 100) return `${c.name}: ${who}${reachText(reach)}${hash}`
  return `${c.name}: ${pct(c.rollout)} of ${who}${reachText(reach)}${hash}`
}

/**
 * Each cohort of a flag in words, with what it adds beside the others (`cohortText` with
 * `cohortReach`): the lines of a "Who gets it" list.
 *
 * @example
 * audienceLines(summaries) // ['everyone: 10% of all users', "eu: 5% of region eu-west (adds nobody: within everyone's 10%)"]
 */
export function audienceLines(cohorts: readonly CohortSummary[]): string[] {
  const reach = cohortReach(cohorts)
  return cohorts.map((c, i) => cohortText(c, reach[i]))
}

/**
 * A flag's audience in one line: each cohort in words, `·` between them; `nobody (no cohorts)`
 * when there are none.
 *
 * @example
 * audienceText(summaries) // 'beta: 3 users · eu-canary: 25% of region eu-west'
 */
export function audienceText(cohorts: readonly CohortSummary[]): string {
  return cohorts.length === 0 ? 'nobody (no cohorts)' : audienceLines(cohorts).join(' · ')
}

/** The guard's state in words, the same in the console's list and the CLI's. */
export const GUARD_HEALTH_TEXT: Record<GuardHealth, string> = {
  healthy: 'healthy',
  insufficient_data: 'collecting evidence',
  trip: 'tripping',
  tripped: 'tripped (flag switched off)',
  off: 'guard idle (flag off)',
  no_guard: 'no guard',
}

/**
 * Where a plan stands in words: `step 2 of 4 (5%) on eu-canary, active`. Given the flag's
 * cohorts, a plan whose cohort no longer holds its step says so (`planDrift`):
 * `step 2 of 2 (100%) on eu, completed; but cohort eu is at 50% now, …`.
 *
 * @example
 * planStepText({ status: 'active', cohort: 'eu', step: 1, steps: [1, 5, 25], nextAt: null }) // 'step 2 of 3 (5%) on eu, active'
 */
export function planStepText(plan: PlanSummary | null, cohorts?: ReadonlyArray<{ name: string; rollout: number }>): string {
  if (!plan) return 'no plan'
  const text = `step ${plan.step + 1} of ${plan.steps.length} (${pct(plan.steps[plan.step] ?? 0)}) on ${plan.cohort}, ${plan.status}`
  const drift = cohorts ? planDrift(plan, cohorts) : undefined
  return drift ? `${text}; but ${drift}` : text
}
