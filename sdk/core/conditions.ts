import { RE2JS } from 're2js'
import parseSemver from 'semver/functions/parse.js'
import type SemVer from 'semver/classes/semver.js'
import { parseIsoDate } from './iso-date.ts'
import { WeakTable } from './intern.ts'
import { LIMITS } from './limits.ts'
import { murmur3 } from './murmur3.ts'
import { OPERATORS } from './types.ts'
import type {
  AttributeCondition,
  Condition,
  Operator,
  Segment,
  SegmentMap,
  User,
} from './types.ts'

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
 */

/** A compiled condition: holds or not for a user. Never throws on plain-data users. */
export type UserPredicate = (user: User) => boolean

/** What a compiled operator says about one attribute value. */
const YES = 1
const NO = 0
/** Missing or of a type the operator cannot compare: never matches, negated or not. */
const INCOMPARABLE = -1
type Outcome = typeof YES | typeof NO | typeof INCOMPARABLE

/** An operator bound to its parsed values; `value` is `undefined` when the attribute is missing. */
type AttributeTest = (value: unknown) => Outcome

/** Compiles an operator's values once; returns a problem description when they are unusable. */
type CompileOperator = (
  values: readonly unknown[],
  caseInsensitive: boolean,
) => AttributeTest | string

// ---------------------------------------------------------------------------------------------
// Coercions of attribute values (per call) and condition values (at compile time)
// ---------------------------------------------------------------------------------------------

/**
 * Reads an attribute, treating absent, `null`, function-valued and inherited object values as
 * missing. The inherited check matters for names like `constructor` or `__proto__` on a plain
 * object; it is skipped for primitives, which is the hot path.
 */
function readAttribute(user: User, attribute: string): unknown {
  const value = user[attribute]
  if (value === undefined || value === null) return undefined
  if (typeof value === 'object' || typeof value === 'function') {
    if (typeof value === 'function' || !Object.hasOwn(user, attribute)) return undefined
  }
  return value
}

/**
 * The text the string operators and `matches` look at: like `toText`, but a value longer than
 * `LIMITS.maxTextLength` is incomparable (fails closed), so an attacker's 10 KB attribute costs
 * a length check instead of a scan by every pattern.
 */
function toBoundedText(value: unknown): string | undefined {
  const text = toText(value)
  return text !== undefined && text.length <= LIMITS.maxTextLength ? text : undefined
}

/** Strings as-is; finite numbers and booleans stringified (`42` → `'42'`); else incomparable. */
function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return undefined
}

/** Plain decimal notation only: no hex, no whitespace, no empty string (`Number('')` is 0). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** Finite numbers, or strings in plain decimal notation; else incomparable. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const n = Number(value)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

/** Epoch milliseconds (finite number), a strict ISO-8601 string or a valid `Date`. */
function toEpochMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string') return parseIsoDate(value)
  if (value instanceof Date) {
    const t = value.getTime()
    return Number.isFinite(t) ? t : undefined
  }
  return undefined
}

/**
 * Strict SemVer 2.0.0 through `semver.parse` without `loose`: `MAJOR.MINOR.PATCH` with optional
 * prerelease and build, an optional leading `v` and surrounding whitespace tolerated. `1.2`,
 * `=1.2.3`, `01.2.3` and non-strings are incomparable. Loose mode is not used because what it
 * accepts is a quirk of one library that other SDKs could not reproduce.
 */
function toSemver(value: unknown): SemVer | undefined {
  return typeof value === 'string' ? (parseSemver(value) ?? undefined) : undefined
}

/** Parses every condition value with `parse`, or reports the first unusable one. */
function parseAll<T>(
  values: readonly unknown[],
  parse: (value: unknown) => T | undefined,
  kind: string,
): T[] | string {
  if (values.length === 0) return 'needs at least one value'
  const parsed: T[] = []
  for (const value of values) {
    // Condition values are strings or numbers by contract; anything else is malformed input.
    const ok = typeof value === 'string' || typeof value === 'number'
    const p = ok ? parse(value) : undefined
    if (p === undefined) return `value ${JSON.stringify(value) ?? String(value)} is not ${kind}`
    parsed.push(p)
  }
  return parsed
}

/** Condition values for string operators, lowercased once when matching is case-insensitive. */
function parseTexts(values: readonly unknown[], caseInsensitive: boolean): string[] | string {
  const texts = parseAll(values, toText, 'a string or a finite number')
  if (typeof texts === 'string' || !caseInsensitive) return texts
  return texts.map((t) => t.toLowerCase())
}

// ---------------------------------------------------------------------------------------------
// The operator table
// ---------------------------------------------------------------------------------------------

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

/**
 * Builds a linear-time matcher with re2js (RE2 syntax: no backreferences or lookaround), so a
 * hostile pattern or input cannot hang evaluation. `undefined` for an invalid pattern.
 */
function compilePattern(pattern: string, caseInsensitive: boolean): RE2JS | undefined {
  try {
    return RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0)
  } catch {
    // re2js throws only syntax errors here; an invalid pattern simply cannot match, and
    // `conditionProblem` / `isValidPattern` report it where input is accepted.
    return undefined
  }
}

/** Shape of the re2js internals `programCost` reads; checked at run time, never assumed. */
interface ProgramInternals {
  re2Input?: { prog?: { inst?: ArrayLike<{ runes?: ArrayLike<number>; arg?: number }> } }
}

/** re2js's flag bit for a case-folding rune instruction (`RE2Flags.FOLD_CASE`). */
const FOLD_CASE = 1

/**
 * RE2's program size, with each character-class range counted as an instruction. re2js tests a
 * class as one instruction where RE2 (C++) compiles it to UTF-8 byte ranges, so `programSize()`
 * alone rates `\pL{20}` (hundreds of ranges per step) like `a{20}`; its DFA pays per range too.
 * The instructions are read through a guarded structural view of the compiled program; if a
 * future re2js hides them, the plain program size is used.
 */
function programCost(re: RE2JS): number {
  const instructions = (re as unknown as ProgramInternals).re2Input?.prog?.inst
  if (instructions === undefined || typeof instructions.length !== 'number') return re.programSize()
  let cost = 0
  for (let i = 0; i < instructions.length; i++) {
    const { runes, arg } = instructions[i]!
    const ranges = runes !== undefined && runes.length > 1 ? runes.length >> 1 : 0
    cost += 1 + ranges * ((arg ?? 0) & FOLD_CASE ? 2 : 1)
  }
  return cost
}

/**
 * The size a `matches` pattern counts for against `LIMITS.maxPatternSize` (RE2 program size,
 * class ranges included), or `undefined` for an invalid pattern.
 *
 * @example
 * patternSize('^[a-z]+@example\\.com$', false) // 19
 * patternSize('\\pL{1000}', false) // 685002: refused
 */
export function patternSize(pattern: string, caseInsensitive: boolean): number | undefined {
  const re = typeof pattern === 'string' ? compilePattern(pattern, caseInsensitive) : undefined
  return re === undefined ? undefined : programCost(re)
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

/** Dispatch table: one small compiler per operator. Anything not in it fails closed. */
const OPERATOR_TABLE: ReadonlyMap<Operator, CompileOperator> = new Map<Operator, CompileOperator>([
  ['in', (values, ci) => compileMembership(values, ci, true)],
  ['not_in', (values, ci) => compileMembership(values, ci, false)],
  ['starts_with', compileStringOp((text, needle) => text.startsWith(needle))],
  ['ends_with', compileStringOp((text, needle) => text.endsWith(needle))],
  ['contains', compileStringOp((text, needle) => text.includes(needle))],
  ['matches', compileMatches],
  ['lt', compileOrdered(toNumber, NUMBER, (a, b) => a < b, true)],
  ['lte', compileOrdered(toNumber, NUMBER, (a, b) => a <= b, true)],
  ['gt', compileOrdered(toNumber, NUMBER, (a, b) => a > b, false)],
  ['gte', compileOrdered(toNumber, NUMBER, (a, b) => a >= b, false)],
  ['semver_eq', compileSemver((cmp) => cmp === 0)],
  ['semver_lt', compileSemver((cmp) => cmp < 0)],
  ['semver_gt', compileSemver((cmp) => cmp > 0)],
  ['before', compileOrdered(toEpochMillis, DATE, (a, b) => a < b, true)],
  ['after', compileOrdered(toEpochMillis, DATE, (a, b) => a > b, false)],
  ['exists', compileExists],
])

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

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

/**
 * Whether `pattern` is a valid RE2 regular expression for the `matches` operator. The server
 * uses it to reject bad patterns at input time; at evaluation time they simply never match.
 *
 * @example
 * isValidPattern('^[a-z]+@example\\.com$') // true
 * isValidPattern('(?=lookahead)') // false: RE2 has no lookaround
 */
export function isValidPattern(pattern: string): boolean {
  return typeof pattern === 'string' && compilePattern(pattern, false) !== undefined
}

function compileAttributeTest(condition: AttributeCondition): AttributeTest | string {
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

// ---------------------------------------------------------------------------------------------
// Compiled conditions as data
// ---------------------------------------------------------------------------------------------

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

class NeverCondition implements CompiledCondition {
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

/** A cheap hash of a string's length and its first, middle and last characters. */
function sketch(s: string): number {
  const n = s.length
  if (n === 0) return 0
  const h = Math.imul(n, 0x9e3779b1) ^ Math.imul(s.charCodeAt(0), 0x85ebca6b)
  const tail = Math.imul(s.charCodeAt(n - 1), 0xc2b2ae35)
  return h ^ tail ^ Math.imul(s.charCodeAt(n >> 1), 0x27d4eb2f)
}

/**
 * A one-hash Bloom filter over `sketch`: about 8 bits per listed value, so most values that are
 * not listed (the common case: a beta list checked for every user) are rejected after reading
 * three characters, instead of `Set#has`, which hashes the whole string and costs about twice
 * as much (measured on 7-character ids: 9 ns against 20 ns). Values that share a sketch bit
 * with a listed one only fall through to the `Set`; nothing listed is ever rejected.
 */
function sketchFilterBits(texts: readonly string[]): { words: Int32Array; shift: number } {
  let bits = 64
  while (bits < texts.length * 8 && bits < 1 << 16) bits <<= 1
  const words = new Int32Array(bits >>> 5)
  const shift = 32 - Math.log2(bits)
  for (const text of texts) {
    const bit = sketch(text) >>> shift
    words[bit >>> 5]! |= 1 << (bit & 31)
  }
  return { words, shift }
}

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

/** Compiles an attribute condition without sharing; `source` is what it was compiled from. */
function buildAttributeCondition(condition: AttributeCondition, id: number | undefined): CompiledCondition {
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

/** Shared attribute conditions, keyed by a hash of their content. */
const SHARED_CONDITIONS = new WeakTable<number, CompiledCondition>()
let nextConditionId = 1

/** Number of distinct attribute conditions held for sharing (tests). */
export const sharedConditionCount = (): number => SHARED_CONDITIONS.size

const isPlainValue = (v: unknown): v is string | number =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))

/**
 * A hash of a well-formed condition's content, or undefined when it is not plain data (then it
 * is compiled on its own, never shared). Only strings and finite numbers count as values, so
 * conditions with equal hashes and equal fields (`sameCondition`) compile to the same thing.
 */
function conditionHash(condition: AttributeCondition): number | undefined {
  if (condition === null || typeof condition !== 'object') return undefined
  const { attribute, operator, values, negate, caseInsensitive } = condition
  if (typeof attribute !== 'string' || typeof operator !== 'string' || !Array.isArray(values)) return undefined
  if (negate !== undefined && typeof negate !== 'boolean') return undefined
  if (caseInsensitive !== undefined && typeof caseInsensitive !== 'boolean') return undefined
  let h = murmur3(attribute) ^ Math.imul(murmur3(operator), 31)
  h = Math.imul(h ^ ((negate === true ? 1 : 0) | (caseInsensitive === true ? 2 : 0)), 0x01000193)
  for (const value of values) {
    if (!isPlainValue(value)) return undefined
    const part = typeof value === 'string' ? murmur3(value) : murmur3(String(value)) ^ 0x5bd1e995
    h = Math.imul(h ^ part, 0x01000193)
  }
  return h
}

function sameCondition(a: AttributeCondition, b: AttributeCondition): boolean {
  if (a.attribute !== b.attribute || a.operator !== b.operator) return false
  if ((a.negate === true) !== (b.negate === true)) return false
  if ((a.caseInsensitive === true) !== (b.caseInsensitive === true)) return false
  if (a.values.length !== b.values.length) return false
  for (let i = 0; i < a.values.length; i++) if (a.values[i] !== b.values[i]) return false
  return true
}

/**
 * An attribute condition, compiled once for every flag (and segment) that holds an identical
 * one. Compiled parts are immutable, so sharing them changes no answer.
 */
function attributeCondition(condition: AttributeCondition): CompiledCondition {
  const hash = conditionHash(condition)
  if (hash === undefined) return buildAttributeCondition(condition, undefined)
  return SHARED_CONDITIONS.find(
    hash,
    (candidate) => sameCondition(candidate.source as AttributeCondition, condition),
    () => {
      const source: AttributeCondition = {
        attribute: condition.attribute,
        operator: condition.operator,
        values: Object.freeze([...condition.values]) as Array<string | number>,
        ...(condition.negate === true ? { negate: true } : {}),
        ...(condition.caseInsensitive === true ? { caseInsensitive: true } : {}),
      }
      return buildAttributeCondition(Object.freeze(source), nextConditionId++)
    },
  )
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
