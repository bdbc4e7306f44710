import { readAttribute, toText } from './attribute-values.ts'
import { NeverCondition, type CompiledCondition } from './compiled-conditions.ts'
import { attributeCondition } from './condition-interning.ts'
import type { AttributeCondition, Condition, Segment, SegmentMap, User } from './types.ts'

export type { CompiledCondition } from './compiled-conditions.ts'
export { sharedConditionCount } from './condition-interning.ts'
export { conditionProblem, isKnownOperator } from './operators.ts'
export { isValidPattern, patternSize } from './regex-cost.ts'

/**
 * Conditions compile once into predicates so that evaluating a flag parses nothing: values are
 * lowercased, parsed as numbers, dates or versions, and regular expressions built when the flag
 * state arrives, never per `isEnabled` call.
 *
 * Semantics shared by every operator (other SDKs must reproduce them):
 *
 * - An attribute is *missing* when it is absent, `null` or `undefined`. A missing attribute never
 *   matches, negated or not, except for `exists` (`exists` is false, `exists` negated is true).
 * - A present attribute of the wrong type (`lt` on `"abc"`, `semver_gt` on `42`) is
 *   *incomparable* and, like a missing one, never matches even when negated.
 *   Rationale: `negate` means "the comparison came out false", not "anything but a match".
 *   A negated condition should not start including users merely because their data is absent
 *   or broken; for a canary, including unknown users is the unsafe direction.
 *   (Unleash negates a failed comparison too, and so includes such users; we deliberately
 *   fail closed.)
 * - A condition that cannot be compiled (unknown operator, invalid pattern, a value of the wrong
 *   kind, an empty value list) never matches, negated or not. `conditionProblem` says why, so
 *   the server can reject such input before it is stored.
 * - Values form an OR: the condition holds when the attribute matches any value. `not_in`
 *   holds when it matches none.
 *
 * Where each part lives: `attribute-values.ts` (coercions), `operators.ts` (the operator table),
 * `regex-cost.ts` (patterns and their cost), `compiled-conditions.ts` (conditions as classes),
 * `sketch-filter.ts` (the `in` fast path), `condition-interning.ts` (sharing identical
 * conditions); this module compiles segments and any condition, and is the public face.
 */

/** A compiled condition: holds or not for a user. Never throws on plain-data users. */
export type UserPredicate = (user: User) => boolean

/** A segment: its `userId` list, or (when it has any) all of its conditions. */
class SegmentMatcher {
  private readonly ids: ReadonlySet<string>
  private readonly conditions: readonly CompiledCondition[]
  constructor(segment: Segment) {
    const ids = new Set<string>()
    for (const id of segment.userIds) ids.add(String(id))
    this.ids = ids
    // Segments cannot nest (PRODUCT.md); a segment condition inside one compiles to "never".
    this.conditions = segment.conditions.map((c) =>
      isSegmentCondition(c) ? new NeverCondition(c) : attributeCondition(c),
    )
  }
  holds(user: User): boolean {
    if (this.ids.size > 0) {
      const id = toText(readAttribute(user, 'userId'))
      if (id !== undefined && this.ids.has(id)) return true
    }
    const conditions = this.conditions
    if (conditions.length === 0) return false
    for (let i = 0; i < conditions.length; i++) if (!conditions[i]!.holds(user)) return false
    return true
  }
}

class SegmentRefCondition implements CompiledCondition {
  readonly id = undefined
  constructor(
    readonly source: Condition,
    private readonly member: SegmentMatcher,
    private readonly negate: boolean,
  ) {}
  holds(user: User): boolean {
    return this.member.holds(user) !== this.negate
  }
}

/**
 * Any condition, compiled as data (what compiled flags hold). A segment condition whose segment
 * is not in `segments` never holds, even negated: we cannot tell who is outside a segment we do
 * not know.
 */
export function conditionOf(condition: Condition, segments: SegmentMap): CompiledCondition {
  if (!isSegmentCondition(condition)) return attributeCondition(condition)
  const key = condition.segment
  const segment = typeof key === 'string' ? segments.get(key) : undefined
  if (segment === undefined) return new NeverCondition(condition)
  return new SegmentRefCondition(condition, new SegmentMatcher(segment), condition.negate === true)
}

/**
 * Compiles an attribute condition (`{attribute, operator, values, negate?, caseInsensitive?}`).
 *
 * @example
 * const isEu = compileAttributeCondition({ attribute: 'region', operator: 'in', values: ['eu'] })
 * isEu({ userId: 'u1', region: 'eu' }) // true
 */
export function compileAttributeCondition(condition: AttributeCondition): UserPredicate {
  const compiled = attributeCondition(condition)
  return (user) => compiled.holds(user)
}

/**
 * Compiles a segment into a membership predicate: the user's `userId` (stringified) is listed,
 * or the segment has conditions and all of them hold. A segment with no ids and no conditions
 * contains nobody.
 *
 * @example
 * const staff = compileSegment({ key: 'staff', userIds: ['u1'], conditions: [], version: 1 })
 * staff({ userId: 'u1' }) // true
 */
export function compileSegment(segment: Segment): UserPredicate {
  const matcher = new SegmentMatcher(segment)
  return (user) => matcher.holds(user)
}

function isSegmentCondition(condition: unknown): condition is { segment: unknown } {
  return typeof condition === 'object' && condition !== null && 'segment' in condition
}

/**
 * Compiles any condition. A segment condition whose segment is not in `segments` never holds,
 * even negated: we cannot tell who is outside a segment we do not know.
 *
 * @example
 * const p = compileCondition({ segment: 'staff', negate: true }, segments)
 * p({ userId: 'someone-else' }) // true if 'staff' exists and does not contain them
 */
export function compileCondition(condition: Condition, segments: SegmentMap): UserPredicate {
  const compiled = conditionOf(condition, segments)
  return (user) => compiled.holds(user)
}
