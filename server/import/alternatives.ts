import { conditionProblem } from '../../sdk/core/conditions.ts'
import type { AttributeCondition, Condition } from '../../sdk/core/types.ts'

/**
 * Source rules as this project's conditions: an OR of ANDs. A source constraint such as
 * Unleash's inverted `NUM_EQ` holds for "less, greater or missing", which no single condition
 * says; a cohort is an AND of conditions and a flag an OR of cohorts, so a strategy becomes one
 * cohort per alternative of the product of its constraints' alternatives.
 *
 * `NEVER` (no alternative) never holds; `ALWAYS` (one empty alternative) always does.
 */
export type Alternatives = Condition[][]

export const NEVER: Alternatives = []
export const ALWAYS: Alternatives = [[]]

/** The user lacks the attribute (absent or null), which sources treat as "no match". */
export function missing(attribute: string): AttributeCondition {
  return { attribute, operator: 'exists', values: [], negate: true }
}

/** One condition, or NEVER when the core could not evaluate it (it would never match here either). */
export function only(condition: AttributeCondition): Alternatives {
  return conditionProblem(condition) === undefined ? [[condition]] : NEVER
}

/**
 * More alternatives than a flag could ever hold (its cohorts are bounded): products stop here
 * instead of growing exponentially (the complement of k alternatives is a product of k lists).
 */
export const MAX_ALTERNATIVES = 1000

export class TooManyAlternatives extends Error {
  constructor() {
    super(`the rules need more than ${MAX_ALTERNATIVES} combinations of conditions here`)
  }
}

/** `a AND b`, as alternatives: the product. Throws `TooManyAlternatives` past the bound. */
export function both(a: Alternatives, b: Alternatives): Alternatives {
  if (a.length * b.length > MAX_ALTERNATIVES) throw new TooManyAlternatives()
  const out: Alternatives = []
  for (const x of a) for (const y of b) out.push([...x, ...y])
  return out
}

/** `a OR b`. */
export function either(...parts: Alternatives[]): Alternatives {
  return parts.flat()
}

/** AND of every part (ALWAYS for none). */
export function all(parts: readonly Alternatives[]): Alternatives {
  return parts.reduce(both, ALWAYS)
}

/** A copy with `negate` flipped: "present, comparable, and the comparison is false". */
export function negated(condition: AttributeCondition): AttributeCondition {
  const { negate, ...rest } = condition
  return negate === true ? rest : { ...rest, negate: true }
}

/** NOT of one condition, as the source means it: the comparison is false, or the attribute is missing. */
export function complementOf(condition: Condition): Alternatives {
  if ('segment' in condition) return [[condition.negate === true ? { segment: condition.segment } : { ...condition, negate: true }]]
  if (condition.operator === 'exists') return [[negated(condition)]]
  return [[negated(condition)], [missing(condition.attribute)]]
}

/** NOT of alternatives: AND over each alternative of (OR of its conditions' complements). */
export function complement(alternatives: Alternatives): Alternatives {
  return all(alternatives.map((alt) => (alt.length === 0 ? NEVER : alt.flatMap((c) => complementOf(c)))))
}
