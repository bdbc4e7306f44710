import type { AttributeCondition } from '../../sdk/core/types.ts'
import { NEVER, either, only, type Alternatives } from './alternatives.ts'

/**
 * One LaunchDarkly clause (`{attribute, op, values, negate, contextKind}`) as alternatives of
 * conditions, as `@launchdarkly/node-server-sdk` evaluates it: the values form an OR; a missing
 * attribute never matches, negated or not (as here); `negate` flips a present value's match.
 * The context `key` is the user attribute `userId` here. `segmentMatch` is handled by the
 * caller (it needs the file's segments).
 */

export interface LaunchDarklyClause {
  attribute: string
  op: string
  values: unknown[]
  negate: boolean
  contextKind: string | undefined
}

/** LaunchDarkly's context `key` is this project's `userId`; other attributes keep their names. */
export const attributeHere = (attribute: string) => (attribute === 'key' ? 'userId' : attribute)

const SIMPLE_OPS: Record<string, AttributeCondition['operator']> = {
  in: 'in',
  startsWith: 'starts_with',
  endsWith: 'ends_with',
  contains: 'contains',
  matches: 'matches',
  lessThan: 'lt',
  lessThanOrEqual: 'lte',
  greaterThan: 'gt',
  greaterThanOrEqual: 'gte',
  before: 'before',
  after: 'after',
  semVerEqual: 'semver_eq',
  semVerLessThan: 'semver_lt',
  semVerGreaterThan: 'semver_gt',
}

/** The values an operator of this project can take (strings and finite numbers). */
function usableValues(values: unknown[]): Array<string | number> {
  return values.filter((v): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
}

/**
 * The clause's alternatives, or a string saying why it cannot be mapped.
 *
 * @example
 * mapLaunchDarklyClause({ attribute: 'country', op: 'in', values: ['de'], negate: true, contextKind: 'user' })
 * // [[{ attribute: 'country', operator: 'in', values: ['de'], negate: true }]]
 */
export function mapLaunchDarklyClause(clause: LaunchDarklyClause): Alternatives | string {
  if (clause.contextKind !== undefined && clause.contextKind !== 'user')
    return `a clause on contexts of kind ${JSON.stringify(clause.contextKind)} (users only here)`
  const operator = SIMPLE_OPS[clause.op]
  if (operator === undefined) return `clause operator ${JSON.stringify(clause.op)}`
  const values = usableValues(clause.values)
  // Each value is tried on its own (an unusable pattern or version simply never matches).
  const each = values.map((v) => only({ attribute: attributeHere(clause.attribute), operator, values: [v] }))
  const usable = each.filter((alts) => alts.length > 0).map((alts) => alts[0]![0] as AttributeCondition)
  // No value can match: false for everyone, so negated it holds for every present value.
  if (usable.length === 0) return clause.negate ? [[{ attribute: attributeHere(clause.attribute), operator: 'exists', values: [] }]] : NEVER
  const condition: AttributeCondition = {
    attribute: attributeHere(clause.attribute),
    operator,
    values: usable.flatMap((c) => c.values),
  }
  if (clause.negate) condition.negate = true
  return either(only(condition))
}
