import { LIMITS } from './limits.ts'
import { compilePattern, programCost } from './regex-cost.ts'
import { parseAll, parseTexts, toBoundedText, toEpochMillis, toNumber, toSemver, toText } from './attribute-values.ts'
import { OPERATORS } from './types.ts'
import type { AttributeCondition, Operator } from './types.ts'

/**
 * The operator table: one small compiler per operator in `OPERATORS`, each turning a
 * condition's values into a test of one attribute value. Anything not in it fails closed.
 * The semantics every operator shares are described in `conditions.ts`.
 */

/** What a compiled operator says about one attribute value. */
export const YES = 1
export const NO = 0
/** Missing or of a type the operator cannot compare: never matches, negated or not. */
export const INCOMPARABLE = -1
export type Outcome = typeof YES | typeof NO | typeof INCOMPARABLE

/** An operator bound to its parsed values; `value` is `undefined` when the attribute is missing. */
export type AttributeTest = (value: unknown) => Outcome

/** Compiles an operator's values once; returns a problem description when they are unusable. */
type CompileOperator = (
  values: readonly unknown[],
  caseInsensitive: boolean,
) => AttributeTest | string

function compileMembership(
  values: readonly unknown[],
  caseInsensitive: boolean,
  expected: boolean,
): AttributeTest | string {
  const texts = parseTexts(values, caseInsensitive)
  if (typeof texts === 'string') return texts
  const set = new Set(texts)
  const hit: Outcome = expected ? YES : NO
  const miss: Outcome = expected ? NO : YES
  return (value: unknown): Outcome => {
    const text = toText(value)
    if (text === undefined) return INCOMPARABLE
    return set.has(caseInsensitive ? text.toLowerCase() : text) ? hit : miss
  }
}

function compileStringOp(match: (text: string, needle: string) => boolean): CompileOperator {
  return (values, caseInsensitive) => {
    const needles = parseTexts(values, caseInsensitive)
    if (typeof needles === 'string') return needles
    return (value) => {
      let text = toBoundedText(value)
      if (text === undefined) return INCOMPARABLE
      if (caseInsensitive) text = text.toLowerCase()
      for (const needle of needles) if (match(text, needle)) return YES
      return NO
    }
  }
}

const compileMatches: CompileOperator = (values, caseInsensitive) => {
  let tooBig: string | undefined
  const patterns = parseAll(
    values,
    (v) => {
      const re = typeof v === 'string' ? compilePattern(v, caseInsensitive) : undefined
      const size = re === undefined ? 0 : programCost(re)
      if (size > LIMITS.maxPatternSize)
        tooBig ??= `pattern ${JSON.stringify(v)} compiles to ${size} RE2 instructions (character-class ranges included), more than ${LIMITS.maxPatternSize}`
      return re
    },
    'a valid RE2 regular expression',
  )
  if (typeof patterns === 'string') return patterns
  // Refused at write time; a stored one (older rules) never matches rather than stalling.
  if (tooBig !== undefined) return tooBig
  return (value) => {
    const text = toBoundedText(value)
    if (text === undefined) return INCOMPARABLE
    // `test` finds the pattern anywhere, like RegExp#test; anchor with ^ and $ to match whole.
    for (const re of patterns) if (re.test(text)) return YES
    return NO
  }
}

/**
 * An ordered comparison (numbers, dates) against the loosest bound: "less than any value" is
 * "less than the largest", so the list reduces to one number at compile time.
 */
function compileOrdered(
  parse: (value: unknown) => number | undefined,
  kind: string,
  holds: (attribute: number, bound: number) => boolean,
  useMax: boolean,
): CompileOperator {
  return (values) => {
    const numbers = parseAll(values, parse, kind)
    if (typeof numbers === 'string') return numbers
    // A loop rather than Math.max(...numbers): spreading a huge list can overflow the stack.
    let bound = useMax ? -Infinity : Infinity
    for (const n of numbers) if (useMax ? n > bound : n < bound) bound = n
    return (value) => {
      const n = parse(value)
      if (n === undefined) return INCOMPARABLE
      return holds(n, bound) ? YES : NO
    }
  }
}

function compileSemver(holds: (cmp: number) => boolean): CompileOperator {
  return (values) => {
    const versions = parseAll(values, toSemver, 'a valid semantic version')
    if (typeof versions === 'string') return versions
    return (value) => {
      const v = toSemver(value)
      if (v === undefined) return INCOMPARABLE
      // Build metadata is ignored and prereleases sort before their release (SemVer §11).
      for (const bound of versions) if (holds(v.compare(bound))) return YES
      return NO
    }
  }
}

const compileExists: CompileOperator = () => (value) => (value === undefined ? NO : YES)

const NUMBER = 'a finite number'
const DATE = 'an ISO-8601 timestamp or epoch milliseconds'

/**
 * Dispatch table: one small compiler per operator. `satisfies Record<Operator, …>` ties it to
 * the one `OPERATORS` list (a new operator does not compile until it has a compiler here);
 * anything not in it fails closed.
 */
const COMPILERS = {
  in: (values, ci) => compileMembership(values, ci, true),
  not_in: (values, ci) => compileMembership(values, ci, false),
  starts_with: compileStringOp((text, needle) => text.startsWith(needle)),
  ends_with: compileStringOp((text, needle) => text.endsWith(needle)),
  contains: compileStringOp((text, needle) => text.includes(needle)),
  matches: compileMatches,
  lt: compileOrdered(toNumber, NUMBER, (a, b) => a < b, true),
  lte: compileOrdered(toNumber, NUMBER, (a, b) => a <= b, true),
  gt: compileOrdered(toNumber, NUMBER, (a, b) => a > b, false),
  gte: compileOrdered(toNumber, NUMBER, (a, b) => a >= b, false),
  semver_eq: compileSemver((cmp) => cmp === 0),
  semver_lt: compileSemver((cmp) => cmp < 0),
  semver_gt: compileSemver((cmp) => cmp > 0),
  before: compileOrdered(toEpochMillis, DATE, (a, b) => a < b, true),
  after: compileOrdered(toEpochMillis, DATE, (a, b) => a > b, false),
  exists: compileExists,
} satisfies Record<Operator, CompileOperator>

/** A `Map`, not the object: `constructor` or `__proto__` as an operator must find nothing. */
const OPERATOR_TABLE: ReadonlyMap<string, CompileOperator> = new Map(Object.entries(COMPILERS))

/**
 * Whether `operator` is one this SDK can evaluate.
 *
 * @example
 * isKnownOperator('semver_gt') // true
 * isKnownOperator('regex') // false
 */
export function isKnownOperator(operator: unknown): operator is Operator {
  return typeof operator === 'string' && (OPERATORS as readonly string[]).includes(operator)
}

/** Compiles an attribute condition's test, or says why it would never match. */
export function compileAttributeTest(condition: AttributeCondition): AttributeTest | string {
  if (condition === null || typeof condition !== 'object') return 'condition is not an object'
  if (typeof condition.attribute !== 'string') return 'attribute must be a string'
  const compileOp = OPERATOR_TABLE.get(condition.operator)
  if (compileOp === undefined) return `unknown operator ${JSON.stringify(condition.operator)}`
  if (!Array.isArray(condition.values)) return 'values must be an array'
  return compileOp(condition.values, condition.caseInsensitive === true)
}

/**
 * Why an attribute condition would never match as written, or `undefined` when it is usable.
 * Structure is validated on the server (zod); this checks what only the evaluator knows:
 * operators, value kinds, patterns.
 *
 * @example
 * conditionProblem({ attribute: 'age', operator: 'gt', values: ['x'] })
 * // 'value "x" is not a finite number'
 */
export function conditionProblem(condition: AttributeCondition): string | undefined {
  const test = compileAttributeTest(condition)
  return typeof test === 'string' ? test : undefined
}
