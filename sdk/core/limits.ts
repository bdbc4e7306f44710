import type { AttributeCondition, Cohort, Condition, SegmentMap } from './types.ts'

/**
 * Bounds on what one evaluation may cost, checked when rules are written (server) and enforced
 * again when they are evaluated (every SDK), so no accepted rule and no user attribute can stall
 * a server or an application. README "Bounded evaluation cost" documents the figures.
 *
 * Why these three: RE2 is linear in the input, but its cost per character grows with the
 * pattern's compiled program (a `\pL{1000}` is 1,000 instructions, each testing a class of
 * hundreds of ranges), so patterns are bounded by program size, attribute values by length,
 * and a flag by the sum of its patterns and the size of its rules.
 */
export const LIMITS = Object.freeze({
  /**
   * Characters of an attribute value that `matches` and the string operators (`starts_with`,
   * `ends_with`, `contains`) look at. A longer value is incomparable: it never matches, negated
   * or not (fail closed), so a 10 KB attribute costs a length check.
   */
  maxTextLength: 256,
  /** Program size of one `matches` pattern (see `patternSize`). */
  maxPatternSize: 300,
  /** Sum of the pattern sizes a flag evaluates: its own and those of the segments it uses. */
  maxFlagPatternSize: 1000,
  /** Needles of the string operators a flag evaluates (each is compared with the value). */
  maxFlagStringNeedles: 2000,
  /** A flag's cohorts as JSON (a beta list of 10,000 UUIDs is about 400 KB). */
  maxRulesBytes: 512 * 1024,
})

/** What a rule's evaluation may cost, summed over its conditions. */
export interface RuleCost {
  /** Sum of `patternSize` over the `matches` values. */
  patternSize: number
  /** Values of `starts_with`, `ends_with` and `contains` conditions. */
  stringNeedles: number
}

const STRING_OPERATORS: ReadonlySet<string> = new Set(['starts_with', 'ends_with', 'contains'])

/**
 * The cost of attribute conditions. `sizeOf` measures one pattern (the caller passes
 * `patternSize` from `regex-cost.ts`, which knows the regex engine); invalid ones count 0, as
 * `conditionProblem` refuses them anyway.
 */
export function conditionsCost(
  conditions: readonly AttributeCondition[],
  sizeOf: (pattern: string, caseInsensitive: boolean) => number | undefined,
): RuleCost {
  let patternSize = 0
  let stringNeedles = 0
  for (const condition of conditions) {
    if (condition.operator === 'matches') {
      for (const value of condition.values)
        if (typeof value === 'string') patternSize += sizeOf(value, condition.caseInsensitive === true) ?? 0
    } else if (STRING_OPERATORS.has(condition.operator)) stringNeedles += condition.values.length
  }
  return { patternSize, stringNeedles }
}

const isSegmentRef = (c: Condition): c is Extract<Condition, { segment: string }> => 'segment' in c

/**
 * Why a flag's cohorts are too costly to evaluate, or `undefined` when they fit the limits.
 * Segments are counted once per reference, since each reference is evaluated.
 *
 * @example
 * cohortsCostProblem(cohorts, segments, patternSize)
 * // 'the patterns of its matches conditions total 5200 program instructions, more than 4000'
 */
export function cohortsCostProblem(
  cohorts: readonly Cohort[],
  segments: SegmentMap,
  sizeOf: (pattern: string, caseInsensitive: boolean) => number | undefined,
): string | undefined {
  const bytes = JSON.stringify(cohorts).length
  if (bytes > LIMITS.maxRulesBytes)
    return `the cohorts take ${bytes} bytes as JSON, more than ${LIMITS.maxRulesBytes}`
  let patternSize = 0
  let stringNeedles = 0
  for (const cohort of cohorts) {
    const own = cohort.conditions.filter((c): c is AttributeCondition => !isSegmentRef(c))
    const used = cohort.conditions.flatMap((c) => (isSegmentRef(c) ? [segments.get(c.segment)?.conditions ?? []] : []))
    for (const conditions of [own, ...used]) {
      const cost = conditionsCost(conditions, sizeOf)
      patternSize += cost.patternSize
      stringNeedles += cost.stringNeedles
    }
  }
  if (patternSize > LIMITS.maxFlagPatternSize)
    return `the patterns of its matches conditions (with those of the segments it uses) total ${patternSize} program instructions, more than ${LIMITS.maxFlagPatternSize}`
  if (stringNeedles > LIMITS.maxFlagStringNeedles)
    return `its starts_with/ends_with/contains conditions (with those of the segments it uses) have ${stringNeedles} values, more than ${LIMITS.maxFlagStringNeedles}`
  return undefined
}
