import type { ConditionShape as ConditionView } from '../../api-shapes/index.ts'

/** How much of a long `in [...]` list a table shows before "+N more". */
const SHOWN_VALUES = 5

export const percent = (rollout: number) => `${rollout}%`

/** `2025-03-04 12:30 UTC`: minutes tell keys apart, and UTC reads the same everywhere. */
export const timestamp = (ms: number) =>
  `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`

/**
 * One condition in words: `userId in [alice, bob]`, `not region in [eu]`, `segment beta`.
 *
 * @example
 * describeCondition({ attribute: 'region', operator: 'in', values: ['eu'] }) // 'region in [eu]'
 */
export function describeCondition(condition: ConditionView): string {
  const not = condition.negate ? 'not ' : ''
  if ('segment' in condition) return `${not}segment ${condition.segment}`
  const shown = condition.values.slice(0, SHOWN_VALUES).map(String)
  const hidden = condition.values.length - shown.length
  const values = hidden > 0 ? [...shown, `+${hidden} more`] : shown
  const list = condition.operator === 'exists' ? '' : ` [${values.join(', ')}]`
  const caseNote = condition.caseInsensitive ? ' (any case)' : ''
  return `${not}${condition.attribute} ${condition.operator}${list}${caseNote}`
}

/** All of a cohort's conditions (they must all hold), or `everyone` when it has none. */
export function describeConditions(conditions: ConditionView[]): string {
  return conditions.length === 0 ? 'everyone' : conditions.map(describeCondition).join(' and ')
}
