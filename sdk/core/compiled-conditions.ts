import { readAttribute, parseTexts, toText } from './attribute-values.ts'
import { NO, YES, compileAttributeTest, type AttributeTest, type Outcome } from './operators.ts'
import { sketch, sketchFilterBits } from './sketch-filter.ts'
import type { AttributeCondition, Condition, User } from './types.ts'

/**
 * Compiled conditions as data: one class per kind with `holds` on its prototype, so evaluating
 * a flag calls shared methods instead of a closure per condition.
 */

/**
 * A compiled condition. Each kind is a class with `holds` on its prototype, not a closure per
 * condition, and attribute conditions are shared between flags that hold the same one (see
 * `attributeCondition`), so identical value sets are compiled and kept once.
 */
export interface CompiledCondition {
  holds(user: User): boolean
  /**
   * The condition as written (values copied and frozen when shared), so a state can be rebuilt
   * from its compiled form for caches (`CompiledFlag.toState`).
   */
  readonly source: Condition
  /** Identity of a shared condition (shared cohorts are keyed by it); undefined when not shared. */
  readonly id: number | undefined
}

export class NeverCondition implements CompiledCondition {
  constructor(
    readonly source: Condition,
    readonly id: number | undefined = undefined,
  ) {}
  holds(_user: User): boolean {
    return false
  }
}

/** Any operator through its compiled test; `negate` swaps YES and NO, INCOMPARABLE never holds. */
class TestCondition implements CompiledCondition {
  constructor(
    readonly source: Condition,
    readonly id: number | undefined,
    private readonly attribute: string,
    private readonly test: AttributeTest,
    private readonly wanted: Outcome,
  ) {}
  holds(user: User): boolean {
    return this.test(readAttribute(user, this.attribute)) === this.wanted
  }
}

/**
 * `in` / `not_in` with a fast path for string attributes, the common case on the `isEnabled`
 * hot path (beta lists of ids, regions, plans): one property read and one comparison or `Set`
 * lookup behind a sketch filter, no intermediate outcome. It gives the same answers as
 * `compileMembership` behind `TestCondition`: `readAttribute` returns strings as they are, so
 * only other values (numbers, booleans, missing, objects) take the general path (`holdsAny`).
 *
 * `holdsOnHit` is whether the condition holds when the value is listed: `in` holds on a hit,
 * `not_in` on a miss, and `negate` flips that. A missing or incomparable value never holds.
 *
 * Three classes (case-insensitive, one value, a list) rather than one with branches: each has
 * its own `user[attribute]` read, so in the usual rules (a region or a plan compared with one
 * value, ids looked up in a list) each read site sees one attribute name and stays
 * monomorphic, which is measurably faster than one site seeing them all.
 */
class MembershipCondition implements CompiledCondition {
  constructor(
    readonly source: Condition,
    readonly id: number | undefined,
    protected readonly attribute: string,
    protected readonly set: ReadonlySet<string>,
    protected readonly holdsOnHit: boolean,
  ) {}

  /** Case-insensitive matching: always the general path. */
  holds(user: User): boolean {
    const text = toText(readAttribute(user, this.attribute))
    if (text === undefined) return false
    return this.set.has(text.toLowerCase()) === this.holdsOnHit
  }

  /** Any attribute value, case-sensitive. */
  protected holdsAny(user: User): boolean {
    const text = toText(readAttribute(user, this.attribute))
    if (text === undefined) return false
    return this.set.has(text) === this.holdsOnHit
  }
}

/** One listed value (a region, a plan): a string comparison is several times cheaper than a lookup. */
class OneValueCondition extends MembershipCondition {
  private readonly only: string
  constructor(source: Condition, id: number | undefined, attribute: string, set: ReadonlySet<string>, holdsOnHit: boolean) {
    super(source, id, attribute, set, holdsOnHit)
    this.only = set.values().next().value as string
  }
  override holds(user: User): boolean {
    const value = user[this.attribute]
    return typeof value === 'string' ? (value === this.only) === this.holdsOnHit : this.holdsAny(user)
  }
}

/** Several listed values: a sketch filter (see `sketchFilterBits`) in front of the `Set`. */
class ListCondition extends MembershipCondition {
  private readonly words: Int32Array
  private readonly shift: number
  constructor(
    source: Condition,
    id: number | undefined,
    attribute: string,
    texts: readonly string[],
    set: ReadonlySet<string>,
    holdsOnHit: boolean,
  ) {
    super(source, id, attribute, set, holdsOnHit)
    const { words, shift } = sketchFilterBits(texts)
    this.words = words
    this.shift = shift
  }
  override holds(user: User): boolean {
    const value = user[this.attribute]
    if (typeof value !== 'string') return this.holdsAny(user)
    const bit = sketch(value) >>> this.shift
    const mayContain = (this.words[bit >>> 5]! & (1 << (bit & 31))) !== 0
    return (mayContain && this.set.has(value)) === this.holdsOnHit
  }
}

function membershipCondition(
  source: Condition,
  id: number | undefined,
  attribute: string,
  texts: readonly string[],
  caseInsensitive: boolean,
  holdsOnHit: boolean,
): CompiledCondition {
  const set = new Set(texts)
  if (caseInsensitive) return new MembershipCondition(source, id, attribute, set, holdsOnHit)
  if (set.size === 1) return new OneValueCondition(source, id, attribute, set, holdsOnHit)
  return new ListCondition(source, id, attribute, texts, set, holdsOnHit)
}

/** Compiles an attribute condition without sharing; `source` is what it was compiled from. */
export function buildAttributeCondition(condition: AttributeCondition, id: number | undefined): CompiledCondition {
  const test = compileAttributeTest(condition)
  if (typeof test === 'string') return new NeverCondition(condition, id)
  const attribute = condition.attribute
  const negate = condition.negate === true
  const { operator } = condition
  const caseInsensitive = condition.caseInsensitive === true
  if (operator === 'in' || operator === 'not_in') {
    // Values already validated by `compileAttributeTest`, so this cannot be a problem string.
    const texts = parseTexts(condition.values, caseInsensitive) as string[]
    const holdsOnHit = (operator === 'in') !== negate
    return membershipCondition(condition, id, attribute, texts, caseInsensitive, holdsOnHit)
  }
  return new TestCondition(condition, id, attribute, test, negate ? NO : YES)
}

