import type { Cohort, Condition } from '../api/types.ts'
import { formatPercent, formatValue } from './format.ts'

/** `region in [eu-west, us-east]`, `not in segment staff`: a condition as a sentence fragment. */
export function describeCondition(condition: Condition): string {
  const not = condition.negate ? 'not ' : ''
  if ('segment' in condition) return `${not}in segment ${condition.segment}`
  const values = condition.operator === 'exists' ? '' : ` [${formatValue(condition.values)}]`
  const ci = condition.caseInsensitive ? ' (ignoring case)' : ''
  return `${not}${condition.attribute} ${condition.operator}${values}${ci}`
}

/** `region in [eu-west] · 5%`, `everyone · 1%`. */
export function describeCohort(cohort: Pick<Cohort, 'conditions' | 'rollout'>): string {
  const who = cohort.conditions.length
    ? cohort.conditions.map(describeCondition).join(' and ')
    : 'everyone'
  return `${who} · ${formatPercent(cohort.rollout)}`
}
