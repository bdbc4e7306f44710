import { describe, expect, it } from 'vitest'
import { compileAttributeCondition, compileSegment, conditionOf, conditionProblem, isKnownOperator, isValidPattern, patternSize } from '../../../sdk/core/conditions.ts'
import type { AttributeCondition, Segment, User } from '../../../sdk/core/types.ts'

/**
 * Details the mutation run (npm run test:mutation) showed unpinned: exact problem messages,
 * pattern sizes, case-insensitive lists, inherited attributes, and which conditions may share
 * one compiled form.
 */
const NO_SEGMENTS = new Map<string, Segment>()
const holds = (condition: AttributeCondition, user: User) => compileAttributeCondition(condition)(user)

describe('conditionProblem: the exact reasons', () => {
  it('names the value and the kind it should have', () => {
    const cases: Array<[AttributeCondition, string | undefined]> = [
      [{ attribute: 'a', operator: 'in', values: [] }, 'needs at least one value'],
      [{ attribute: 'a', operator: 'in', values: [true as unknown as string] }, 'value true is not a string or a finite number'],
      [{ attribute: 'a', operator: 'in', values: [Number.NaN] }, 'value null is not a string or a finite number'],
      [{ attribute: 'a', operator: 'in', values: [undefined as unknown as string] }, 'value undefined is not a string or a finite number'],
      [{ attribute: 'a', operator: 'lt', values: ['x'] }, 'value "x" is not a finite number'],
      [{ attribute: 'a', operator: 'gte', values: [1, ''] }, 'value "" is not a finite number'],
      [{ attribute: 'a', operator: 'semver_gt', values: ['1.2'] }, 'value "1.2" is not a valid semantic version'],
      [{ attribute: 'a', operator: 'semver_eq', values: [1] }, 'value 1 is not a valid semantic version'],
      [{ attribute: 'a', operator: 'before', values: ['Feb 30'] }, 'value "Feb 30" is not an ISO-8601 timestamp or epoch milliseconds'],
      [{ attribute: 'a', operator: 'matches', values: ['('] }, 'value "(" is not a valid RE2 regular expression'],
      [{ attribute: 'a', operator: 'matches', values: [5] }, 'value 5 is not a valid RE2 regular expression'],
      [{ attribute: 'a', operator: 'like' as never, values: ['x'] }, 'unknown operator "like"'],
      [{ attribute: 1 as unknown as string, operator: 'in', values: ['x'] }, 'attribute must be a string'],
      [{ attribute: 'a', operator: 'in', values: 'x' as unknown as string[] }, 'values must be an array'],
      [null as unknown as AttributeCondition, 'condition is not an object'],
      [{ attribute: 'a', operator: 'exists', values: [] }, undefined],
      [{ attribute: 'a', operator: 'semver_lt', values: ['v1.2.3', '2.0.0-rc.1'] }, undefined],
    ]
    for (const [condition, problem] of cases) expect(conditionProblem(condition), JSON.stringify(condition)).toBe(problem)
  })

  it('refuses a pattern over the size limit with its size, and accepts one at the limit', () => {
    // `a{n}` compiles to n + 2 instructions.
    expect(patternSize('a{298}', false)).toBe(300)
    expect(conditionProblem({ attribute: 'a', operator: 'matches', values: ['a{298}'] })).toBeUndefined()
    expect(patternSize('a{299}', false)).toBe(301)
    expect(conditionProblem({ attribute: 'a', operator: 'matches', values: ['ok', 'a{299}', 'a{300}'] })).toBe(
      'pattern "a{299}" compiles to 301 RE2 instructions (character-class ranges included), more than 300',
    )
    // A stored one never matches, negated or not.
    expect(holds({ attribute: 'a', operator: 'matches', values: ['a{299}'] }, { userId: 'u', a: 'a'.repeat(299) })).toBe(false)
    expect(holds({ attribute: 'a', operator: 'matches', values: ['a{299}'], negate: true }, { userId: 'u', a: 'b' })).toBe(false)
  })

  it('knows its operators and valid patterns', () => {
    for (const operator of ['in', 'not_in', 'matches', 'semver_gt', 'before', 'exists']) expect(isKnownOperator(operator)).toBe(true)
    for (const operator of ['like', '', 'IN', 1, null, undefined]) expect(isKnownOperator(operator)).toBe(false)
    expect(isValidPattern('^a+$')).toBe(true)
    expect(isValidPattern('(?=x)')).toBe(false)
    expect(isValidPattern(1 as unknown as string)).toBe(false)
  })
})

describe('patternSize: RE2 instructions with character-class ranges', () => {
  it('counts instructions, each class range once more, twice when case-folded', () => {
    expect(patternSize('^[a-z]+@example\\.com$', false)).toBe(19)
    // Two instructions around the pattern's own; a literal rune is one.
    expect(patternSize('a', false)).toBe(3)
    expect(patternSize('a', true)).toBe(3)
    expect(patternSize('abc', false)).toBe(5)
    // One class of one range: 1 + 1; of two ranges: 1 + 2.
    expect(patternSize('[a-c]', false)).toBe(4)
    expect(patternSize('[a-cx-z]', false)).toBe(5)
    // Case-insensitive: a folded class counts its ranges twice.
    expect(patternSize('[a-c]', true)).toBe(5)
    expect(patternSize('[a-cx-z]', true)).toBe(7)
    expect(patternSize('\\pL{1000}', false)).toBeGreaterThan(100_000)
    expect(patternSize('(', false)).toBeUndefined()
    expect(patternSize(7 as unknown as string, false)).toBeUndefined()
  })
})

describe('attribute values', () => {
  it('reads only own, non-function values: inherited names and functions are missing', () => {
    const exists = (user: User, negate = false) => holds({ attribute: 'constructor', operator: 'exists', values: [], negate }, user)
    expect(exists({ userId: 'u' })).toBe(false)
    expect(exists({ userId: 'u' }, true)).toBe(true)
    expect(exists({ userId: 'u', constructor: 'x' } as User)).toBe(true)
    expect(exists({ userId: 'u', constructor: { a: 1 } } as unknown as User)).toBe(true)
    expect(exists({ userId: 'u', constructor: () => 1 } as unknown as User)).toBe(false)
    expect(holds({ attribute: 'a', operator: 'exists', values: [] }, { userId: 'u', a: null } as unknown as User)).toBe(false)
    expect(holds({ attribute: 'a', operator: 'exists', values: [] }, { userId: 'u', a: 0 })).toBe(true)
    expect(holds({ attribute: 'a', operator: 'exists', values: [] }, { userId: 'u', a: '' })).toBe(true)
    expect(holds({ attribute: 'a', operator: 'in', values: ['[object Object]'] }, { userId: 'u', a: {} } as unknown as User)).toBe(false)
  })

  it('case-insensitive lists: any case of a listed value, numbers and booleans as text, negated too', () => {
    const list = (values: Array<string | number>, negate = false): AttributeCondition => ({ attribute: 'a', operator: 'in', values, caseInsensitive: true, negate })
    expect(holds(list(['EU', 'Us']), { userId: 'u', a: 'eu' })).toBe(true)
    expect(holds(list(['EU', 'Us']), { userId: 'u', a: 'uS' })).toBe(true)
    expect(holds(list(['EU', 'Us']), { userId: 'u', a: 'apac' })).toBe(false)
    expect(holds(list(['TRUE']), { userId: 'u', a: true })).toBe(true)
    expect(holds(list([42]), { userId: 'u', a: 42 })).toBe(true)
    expect(holds(list(['EU'], true), { userId: 'u', a: 'Eu' })).toBe(false)
    expect(holds(list(['EU'], true), { userId: 'u', a: 'us' })).toBe(true)
    expect(holds(list(['EU'], true), { userId: 'u' })).toBe(false)
    expect(holds({ attribute: 'a', operator: 'not_in', values: ['EU'], caseInsensitive: true }, { userId: 'u', a: 'eu' })).toBe(false)
    expect(holds({ attribute: 'a', operator: 'not_in', values: ['EU'], caseInsensitive: true }, { userId: 'u', a: 'us' })).toBe(true)
    // Case-sensitive by default, and with caseInsensitive: false.
    expect(holds({ attribute: 'a', operator: 'in', values: ['EU'] }, { userId: 'u', a: 'eu' })).toBe(false)
    expect(holds({ attribute: 'a', operator: 'in', values: ['EU', 'US'], caseInsensitive: false }, { userId: 'u', a: 'eu' })).toBe(false)
  })

  it('lists of several values: numbers and booleans compared as text, the empty string too', () => {
    const list: AttributeCondition = { attribute: 'a', operator: 'in', values: ['', '7', 'true', 'x'] }
    expect(holds(list, { userId: 'u', a: '' })).toBe(true)
    expect(holds(list, { userId: 'u', a: 7 })).toBe(true)
    expect(holds(list, { userId: 'u', a: true })).toBe(true)
    expect(holds(list, { userId: 'u', a: false })).toBe(false)
    expect(holds(list, { userId: 'u', a: 8 })).toBe(false)
    expect(holds({ ...list, operator: 'not_in' }, { userId: 'u', a: 8 })).toBe(true)
    expect(holds({ ...list, operator: 'not_in' }, { userId: 'u', a: 7 })).toBe(false)
    expect(holds({ ...list, operator: 'not_in' }, { userId: 'u' })).toBe(false)
    // A large list: every listed id is in, and unlisted ids are out.
    const ids = Array.from({ length: 5000 }, (_, i) => `id-${i}`)
    const big: AttributeCondition = { attribute: 'userId', operator: 'in', values: ids }
    const predicate = compileAttributeCondition(big)
    for (const id of ids) if (!predicate({ userId: id })) throw new Error(`${id} should be in`)
    let inside = 0
    for (let i = 5000; i < 15_000; i++) if (predicate({ userId: `id-${i}` })) inside++
    expect(inside).toBe(0)
  })

  it('segments: listed ids (stringified) or all conditions; neither is nobody', () => {
    const staff = compileSegment({ key: 's', userIds: ['u1', 7 as unknown as string], conditions: [], version: 1 })
    expect(staff({ userId: 'u1' })).toBe(true)
    expect(staff({ userId: 7 } as unknown as User)).toBe(true)
    expect(staff({ userId: 'u2' })).toBe(false)
    const both = compileSegment({ key: 's', userIds: ['u1'], conditions: [{ attribute: 'r', operator: 'in', values: ['eu'] }], version: 1 })
    expect(both({ userId: 'u1', r: 'us' })).toBe(true)
    expect(both({ userId: 'u2', r: 'eu' })).toBe(true)
    expect(both({ userId: 'u2', r: 'us' })).toBe(false)
    const nobody = compileSegment({ key: 's', userIds: [], conditions: [], version: 1 })
    expect(nobody({ userId: 'u1' })).toBe(false)
  })
})

describe('sharing compiled conditions', () => {
  const base: AttributeCondition = { attribute: 'region', operator: 'in', values: ['eu', 'us'] }

  it('equal conditions share one compiled form; unset and false flags are the same', () => {
    const a = conditionOf({ ...base, values: ['eu', 'us'] }, NO_SEGMENTS)
    expect(conditionOf({ ...base }, NO_SEGMENTS)).toBe(a)
    expect(conditionOf({ ...base, negate: false, caseInsensitive: false }, NO_SEGMENTS)).toBe(a)
    expect(a.source).toEqual(base)
    expect(Object.isFrozen(a.source)).toBe(true)
    const numeric = conditionOf({ attribute: 'n', operator: 'gt', values: [3] }, NO_SEGMENTS)
    expect(conditionOf({ attribute: 'n', operator: 'gt', values: [3] }, NO_SEGMENTS)).toBe(numeric)
  })

  it('conditions that differ in any field are never shared, and each answers for itself', () => {
    const eu = { userId: 'u', region: 'eu', other: 'eu' }
    const variants: AttributeCondition[] = [
      base,
      { ...base, attribute: 'other', values: ['us'] },
      { ...base, operator: 'not_in' },
      { ...base, negate: true },
      { ...base, caseInsensitive: true, values: ['EU', 'us'] },
      { ...base, values: ['eu'] },
      { ...base, values: ['us', 'eu', 'x'] },
      { ...base, values: ['us', 'x'] },
      { attribute: 'region', operator: 'starts_with', values: ['e'] },
      { attribute: 'n', operator: 'gt', values: ['3'] },
      { attribute: 'n', operator: 'gt', values: [3] },
    ]
    const compiled = variants.map((v) => conditionOf(v, NO_SEGMENTS))
    expect(new Set(compiled).size).toBe(variants.length)
    expect(compiled.map((c) => c.holds(eu))).toEqual([true, false, false, false, true, true, true, false, true, false, false])
    compiled.forEach((c, i) => expect(c.source).toEqual(variants[i]))
  })

  it('malformed conditions are compiled on their own and never hold', () => {
    for (const odd of [
      { attribute: 'region', operator: 'in', values: ['eu'], negate: 'yes' },
      { attribute: 'region', operator: 'in', values: ['eu'], caseInsensitive: 1 },
      { attribute: 'region', operator: 'in', values: [{}] },
      { attribute: 'region', operator: 7, values: ['eu'] },
    ] as unknown as AttributeCondition[]) {
      const c = conditionOf(odd, NO_SEGMENTS)
      expect(c.id, JSON.stringify(odd)).toBeUndefined()
      expect(conditionOf(odd, NO_SEGMENTS)).not.toBe(c)
    }
    expect(conditionOf({ attribute: 'region', operator: 'in', values: ['eu'], negate: 'yes' } as unknown as AttributeCondition, NO_SEGMENTS).holds({ userId: 'u', region: 'eu' })).toBe(true)
    expect(conditionOf({ attribute: 'region', operator: 'in', values: ['eu'] }, NO_SEGMENTS).id).toBeGreaterThan(0)
  })
})
