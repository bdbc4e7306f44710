// Contract: sdk/SPEC.md §2.2–2.4 (attributes, operators, segments). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it } from 'vitest'
import {
  compileAttributeCondition,
  compileCondition,
  compileSegment,
  conditionProblem,
  isKnownOperator,
  isValidPattern,
} from '../../../sdk/core/conditions.ts'
import type { AttributeCondition, Operator, Segment, User } from '../../../sdk/core/types.ts'

const NO_SEGMENTS = new Map<string, Segment>()

/** Evaluates one attribute condition on `attribute` for a user whose attribute is `value`. */
function check(
  operator: Operator,
  values: Array<string | number>,
  value: unknown,
  options: { negate?: boolean; caseInsensitive?: boolean } = {},
): boolean {
  const predicate = compileAttributeCondition({ attribute: 'a', operator, values, ...options })
  return predicate(value === undefined ? { userId: 'u' } : { userId: 'u', a: value })
}

describe('in', () => {
  it('holds when the attribute equals any value', () => {
    expect(check('in', ['eu', 'us'], 'us')).toBe(true)
    expect(check('in', ['eu', 'us'], 'apac')).toBe(false)
  })

  it('compares numbers as their string form, both ways', () => {
    expect(check('in', ['42'], 42)).toBe(true)
    expect(check('in', [42], '42')).toBe(true)
    expect(check('in', [1.5], 1.5)).toBe(true)
    expect(check('in', ['1.50'], 1.5)).toBe(false)
  })

  it('compares booleans as "true" and "false"', () => {
    expect(check('in', ['true'], true)).toBe(true)
    expect(check('in', ['true'], false)).toBe(false)
  })

  it('is case-sensitive unless caseInsensitive is set', () => {
    expect(check('in', ['EU'], 'eu')).toBe(false)
    expect(check('in', ['EU'], 'eu', { caseInsensitive: true })).toBe(true)
    expect(check('in', ['eu', 'Us'], 'uS', { caseInsensitive: true })).toBe(true)
  })

  it('handles a large value list', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)
    expect(check('in', ids, 'user-9999')).toBe(true)
    expect(check('in', ids, 'user-10000')).toBe(false)
  })

  it('negated, holds when the present attribute equals no value', () => {
    expect(check('in', ['eu'], 'us', { negate: true })).toBe(true)
    expect(check('in', ['eu'], 'eu', { negate: true })).toBe(false)
  })

  it('fails closed on a missing attribute, negated or not', () => {
    expect(check('in', ['eu'], undefined)).toBe(false)
    expect(check('in', ['eu'], undefined, { negate: true })).toBe(false)
    expect(check('in', ['eu'], null, { negate: true })).toBe(false)
  })

  it('fails closed on objects, arrays and non-finite numbers, negated or not', () => {
    for (const value of [{}, ['eu'], Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(check('in', ['eu', 'NaN', 'Infinity'], value)).toBe(false)
      expect(check('in', ['x'], value, { negate: true })).toBe(false)
    }
  })
})

describe('not_in', () => {
  it('holds when the attribute equals none of the values', () => {
    expect(check('not_in', ['eu', 'us'], 'apac')).toBe(true)
    expect(check('not_in', ['eu', 'us'], 'eu')).toBe(false)
  })

  it('does not hold for a missing attribute', () => {
    expect(check('not_in', ['eu'], undefined)).toBe(false)
  })

  it('negated, behaves like in for present attributes and still fails closed when missing', () => {
    expect(check('not_in', ['eu'], 'eu', { negate: true })).toBe(true)
    expect(check('not_in', ['eu'], 'us', { negate: true })).toBe(false)
    expect(check('not_in', ['eu'], undefined, { negate: true })).toBe(false)
  })

  it('supports caseInsensitive', () => {
    expect(check('not_in', ['EU'], 'eu')).toBe(true)
    expect(check('not_in', ['EU'], 'eu', { caseInsensitive: true })).toBe(false)
  })
})

describe('starts_with', () => {
  it('holds when the attribute starts with any value', () => {
    expect(check('starts_with', ['+33', '+49'], '+49301234')).toBe(true)
    expect(check('starts_with', ['+33'], '0033')).toBe(false)
  })

  it('supports caseInsensitive and negate', () => {
    expect(check('starts_with', ['Admin'], 'admin-bob')).toBe(false)
    expect(check('starts_with', ['Admin'], 'admin-bob', { caseInsensitive: true })).toBe(true)
    expect(check('starts_with', ['admin'], 'bob', { negate: true })).toBe(true)
  })

  it('reads numbers as text and fails closed on a missing attribute even when negated', () => {
    expect(check('starts_with', ['75'], 75001)).toBe(true)
    expect(check('starts_with', ['x'], undefined, { negate: true })).toBe(false)
  })
})

describe('ends_with', () => {
  it('holds when the attribute ends with any value', () => {
    expect(check('ends_with', ['@example.com', '@example.org'], 'ann@example.org')).toBe(true)
    expect(check('ends_with', ['@example.com'], 'ann@example.com.evil')).toBe(false)
  })

  it('supports caseInsensitive and negate', () => {
    expect(check('ends_with', ['@Example.com'], 'ANN@EXAMPLE.COM', { caseInsensitive: true })).toBe(
      true,
    )
    expect(check('ends_with', ['@example.com'], 'ann@other.com', { negate: true })).toBe(true)
    expect(check('ends_with', ['@example.com'], 'ann@example.com', { negate: true })).toBe(false)
  })

  it('fails closed on a non-text attribute', () => {
    expect(check('ends_with', ['m'], { toString: () => 'com' })).toBe(false)
  })
})

describe('contains', () => {
  it('holds when the attribute contains any value', () => {
    expect(check('contains', ['beta'], 'app-beta-3')).toBe(true)
    expect(check('contains', ['beta'], 'app-stable')).toBe(false)
  })

  it('supports caseInsensitive and negate', () => {
    expect(check('contains', ['BETA'], 'app-beta-3', { caseInsensitive: true })).toBe(true)
    expect(check('contains', ['beta'], 'app-stable', { negate: true })).toBe(true)
  })

  it('fails closed on a missing attribute even when negated', () => {
    expect(check('contains', ['beta'], undefined, { negate: true })).toBe(false)
  })
})

describe('matches', () => {
  it('holds when any pattern is found in the attribute', () => {
    expect(check('matches', ['^user-\\d+$'], 'user-42')).toBe(true)
    expect(check('matches', ['^user-\\d+$'], 'user-42x')).toBe(false)
    expect(check('matches', ['nope', 'beta'], 'app-beta')).toBe(true)
  })

  it('searches anywhere unless anchored, like RegExp#test', () => {
    expect(check('matches', ['\\d'], 'abc1def')).toBe(true)
  })

  it('supports caseInsensitive and negate', () => {
    expect(check('matches', ['^ADMIN'], 'admin-bob')).toBe(false)
    expect(check('matches', ['^ADMIN'], 'admin-bob', { caseInsensitive: true })).toBe(true)
    expect(check('matches', ['^admin'], 'bob', { negate: true })).toBe(true)
  })

  it('an invalid pattern makes the condition false, even when negated', () => {
    expect(check('matches', ['('], 'anything')).toBe(false)
    expect(check('matches', ['('], 'anything', { negate: true })).toBe(false)
    expect(check('matches', ['.*', '(?=x)'], 'anything')).toBe(false)
  })

  it('finishes on a catastrophic-backtracking pattern against a hostile input', () => {
    const hostile = 'a'.repeat(50_000) + '!'
    const started = performance.now()
    expect(check('matches', ['(a+)+$'], hostile)).toBe(false)
    expect(check('matches', ['^(a|a)*$'], hostile)).toBe(false)
    expect(check('matches', ['^(a|aa)+$'], hostile)).toBe(false)
    // A backtracking engine takes longer than the age of the universe here.
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('fails closed on a missing attribute', () => {
    expect(check('matches', ['.*'], undefined)).toBe(false)
    expect(check('matches', ['x'], undefined, { negate: true })).toBe(false)
  })
})

describe('isValidPattern', () => {
  it('accepts RE2 syntax', () => {
    expect(isValidPattern('^[a-z0-9._%+-]+@example\\.com$')).toBe(true)
    expect(isValidPattern('(?i)beta')).toBe(true)
  })

  it('rejects malformed patterns and constructs RE2 cannot run in linear time', () => {
    expect(isValidPattern('(')).toBe(false)
    expect(isValidPattern('[a-')).toBe(false)
    expect(isValidPattern('(?=x)')).toBe(false)
    expect(isValidPattern('(a)\\1')).toBe(false)
  })
})

describe('lt / lte / gt / gte', () => {
  it('lt and lte compare numbers', () => {
    expect(check('lt', [18], 17)).toBe(true)
    expect(check('lt', [18], 18)).toBe(false)
    expect(check('lte', [18], 18)).toBe(true)
    expect(check('lte', [18], 18.5)).toBe(false)
  })

  it('gt and gte compare numbers', () => {
    expect(check('gt', [100], 101)).toBe(true)
    expect(check('gt', [100], 100)).toBe(false)
    expect(check('gte', [100], 100)).toBe(true)
    expect(check('gte', [100], 99.99)).toBe(false)
  })

  it('accepts numeric strings in decimal notation on both sides', () => {
    expect(check('gt', ['1e3'], '1001')).toBe(true)
    expect(check('lt', ['-0.5'], '-1')).toBe(true)
    expect(check('gte', ['2.50'], '2.5')).toBe(true)
  })

  it('holds against any of several values', () => {
    expect(check('lt', [5, 10], 7)).toBe(true)
    expect(check('gt', [5, 10], 7)).toBe(true)
    expect(check('gt', [8, 10], 7)).toBe(false)
  })

  it('fails closed on non-numeric attributes, negated or not', () => {
    for (const value of ['abc', '', ' 5', '0x10', 'Infinity', true, Number.NaN, {}]) {
      expect(check('lt', [10], value), JSON.stringify(value)).toBe(false)
      expect(check('lt', [10], value, { negate: true }), JSON.stringify(value)).toBe(false)
    }
  })

  it('negate inverts a numeric comparison', () => {
    expect(check('gte', [18], 17, { negate: true })).toBe(true)
    expect(check('gte', [18], 18, { negate: true })).toBe(false)
  })

  it('a non-numeric condition value makes the condition false', () => {
    expect(check('lt', ['ten'], 5)).toBe(false)
    expect(check('lt', ['ten'], 5, { negate: true })).toBe(false)
  })

  it('fails closed on a missing attribute even when negated', () => {
    expect(check('gt', [0], undefined, { negate: true })).toBe(false)
  })
})

describe('semver_eq / semver_lt / semver_gt', () => {
  it('semver_eq ignores build metadata and accepts a leading v', () => {
    expect(check('semver_eq', ['1.2.3'], '1.2.3')).toBe(true)
    expect(check('semver_eq', ['1.2.3'], 'v1.2.3')).toBe(true)
    expect(check('semver_eq', ['1.2.3'], '1.2.3+build.7')).toBe(true)
    expect(check('semver_eq', ['1.2.3'], '1.2.4')).toBe(false)
  })

  it('semver_lt and semver_gt order versions numerically, not as text', () => {
    expect(check('semver_lt', ['1.10.0'], '1.9.9')).toBe(true)
    expect(check('semver_gt', ['1.9.9'], '1.10.0')).toBe(true)
    expect(check('semver_gt', ['2.0.0'], '2.0.0')).toBe(false)
  })

  it('orders a prerelease before its release', () => {
    expect(check('semver_lt', ['2.0.0'], '2.0.0-beta.1')).toBe(true)
    expect(check('semver_gt', ['2.0.0-beta.1'], '2.0.0-beta.2')).toBe(true)
  })

  it('fails closed on versions that are not strict semver, negated or not', () => {
    for (const value of ['1.2', '=1.2.3', '01.2.3', 'latest', 1, '']) {
      expect(check('semver_lt', ['9.0.0'], value), JSON.stringify(value)).toBe(false)
      expect(check('semver_lt', ['9.0.0'], value, { negate: true })).toBe(false)
    }
  })

  it('an invalid condition version makes the condition false', () => {
    expect(check('semver_gt', ['1.2'], '2.0.0')).toBe(false)
    expect(check('semver_gt', ['1.2'], '2.0.0', { negate: true })).toBe(false)
  })

  it('negate inverts a version comparison', () => {
    expect(check('semver_gt', ['2.0.0'], '1.0.0', { negate: true })).toBe(true)
  })
})

describe('before / after', () => {
  it('compare ISO-8601 attributes with ISO-8601 values', () => {
    expect(check('before', ['2024-03-01'], '2024-02-29T23:59:59Z')).toBe(true)
    expect(check('before', ['2024-03-01'], '2024-03-01T00:00:00Z')).toBe(false)
    expect(check('after', ['2024-03-01T00:00:00Z'], '2024-03-01T00:00:00.001Z')).toBe(true)
    expect(check('after', ['2024-03-01'], '2024-03-01')).toBe(false)
  })

  it('apply time zone offsets', () => {
    // 10:00+01:00 is 09:00Z.
    expect(check('before', ['2024-03-01T09:30:00Z'], '2024-03-01T10:00:00+01:00')).toBe(true)
    expect(check('after', ['2024-03-01T09:30:00Z'], '2024-03-01T10:00:00+01:00')).toBe(false)
  })

  it('read a date-time without offset as UTC', () => {
    expect(check('after', ['2024-03-01T09:59:59Z'], '2024-03-01T10:00:00')).toBe(true)
    expect(check('before', ['2024-03-01T10:00:01Z'], '2024-03-01T10:00:00')).toBe(true)
  })

  it('accept epoch milliseconds and Date objects', () => {
    const march = Date.UTC(2024, 2, 1)
    expect(check('after', [march], march + 1)).toBe(true)
    expect(check('before', ['2024-03-01'], new Date(march - 1))).toBe(true)
    expect(check('after', [march - 1], new Date(march))).toBe(true)
  })

  it('fail closed on invalid dates, negated or not', () => {
    const invalid = ['2024-02-30', 'March 1 2024', '2024-03-01T24:00:00Z', new Date(Number.NaN)]
    for (const value of invalid) {
      expect(check('before', ['2030-01-01'], value), String(value)).toBe(false)
      expect(check('before', ['2030-01-01'], value, { negate: true }), String(value)).toBe(false)
    }
  })

  it('an invalid condition date makes the condition false', () => {
    expect(check('after', ['yesterday'], '2024-03-01')).toBe(false)
    expect(check('after', ['yesterday'], '2024-03-01', { negate: true })).toBe(false)
  })

  it('negate inverts a date comparison', () => {
    expect(check('after', ['2024-03-01'], '2024-01-01', { negate: true })).toBe(true)
  })
})

describe('exists', () => {
  it('holds when the attribute is present and not null', () => {
    expect(check('exists', [], 'x')).toBe(true)
    expect(check('exists', [], '')).toBe(true)
    expect(check('exists', [], 0)).toBe(true)
    expect(check('exists', [], false)).toBe(true)
    expect(check('exists', [], undefined)).toBe(false)
    expect(check('exists', [], null)).toBe(false)
  })

  it('negated, holds exactly when the attribute is missing', () => {
    expect(check('exists', [], undefined, { negate: true })).toBe(true)
    expect(check('exists', [], null, { negate: true })).toBe(true)
    expect(check('exists', [], 'x', { negate: true })).toBe(false)
  })

  it('does not see inherited properties of a plain object', () => {
    const exists = (attribute: string) =>
      compileAttributeCondition({ attribute, operator: 'exists', values: [] })
    expect(exists('constructor')({})).toBe(false)
    expect(exists('toString')({})).toBe(false)
    expect(exists('__proto__')({})).toBe(false)
  })
})

describe('unknown operators and malformed conditions', () => {
  it('an unknown operator never holds, even negated', () => {
    const condition = {
      attribute: 'a',
      operator: 'regex',
      values: ['x'],
    } as unknown as AttributeCondition
    expect(compileAttributeCondition(condition)({ a: 'x' })).toBe(false)
    expect(compileAttributeCondition({ ...condition, negate: true })({ a: 'y' })).toBe(false)
  })

  it('an empty value list never holds', () => {
    expect(check('in', [], 'x')).toBe(false)
    expect(check('not_in', [], 'x')).toBe(false)
  })

  it('values that are not an array never hold', () => {
    const condition = {
      attribute: 'a',
      operator: 'in',
      values: 'x',
    } as unknown as AttributeCondition
    expect(compileAttributeCondition(condition)({ a: 'x' })).toBe(false)
  })

  it('conditionProblem explains why a condition can never hold', () => {
    expect(conditionProblem({ attribute: 'a', operator: 'in', values: ['x'] })).toBeUndefined()
    expect(conditionProblem({ attribute: 'a', operator: 'exists', values: [] })).toBeUndefined()
    expect(conditionProblem({ attribute: 'a', operator: 'gt', values: ['x'] })).toBe(
      'value "x" is not a finite number',
    )
    expect(conditionProblem({ attribute: 'a', operator: 'matches', values: ['('] })).toMatch(/RE2/)
    const badDate: AttributeCondition = { attribute: 'a', operator: 'before', values: ['Feb 30'] }
    expect(conditionProblem(badDate)).toMatch(/ISO-8601/)
    expect(conditionProblem({ attribute: 'a', operator: 'in', values: [] })).toMatch(/at least one/)
    const unknown = {
      attribute: 'a',
      operator: 'like',
      values: ['x'],
    } as unknown as AttributeCondition
    expect(conditionProblem(unknown)).toMatch(/unknown operator "like"/)
  })

  it('isKnownOperator recognises exactly the listed operators', () => {
    expect(isKnownOperator('in')).toBe(true)
    expect(isKnownOperator('semver_eq')).toBe(true)
    expect(isKnownOperator('IN')).toBe(false)
    expect(isKnownOperator(undefined)).toBe(false)
  })
})

describe('segment conditions', () => {
  const segments = new Map<string, Segment>([
    ['staff', { key: 'staff', userIds: ['alice', '42'], conditions: [], version: 1 }],
    [
      'eu-pro',
      {
        key: 'eu-pro',
        userIds: [],
        conditions: [
          { attribute: 'region', operator: 'in', values: ['eu'] },
          { attribute: 'plan', operator: 'in', values: ['pro'] },
        ],
        version: 1,
      },
    ],
    ['empty', { key: 'empty', userIds: [], conditions: [], version: 1 }],
  ])
  const inSegment = (segment: string, user: User, negate = false) =>
    compileCondition({ segment, negate }, segments)(user)

  it('holds for listed user ids, with numeric ids stringified', () => {
    expect(inSegment('staff', { userId: 'alice' })).toBe(true)
    expect(inSegment('staff', { userId: 42 })).toBe(true)
    expect(inSegment('staff', { userId: 'bob' })).toBe(false)
    expect(inSegment('staff', {})).toBe(false)
  })

  it('holds when all of the segment conditions hold', () => {
    expect(inSegment('eu-pro', { userId: 'x', region: 'eu', plan: 'pro' })).toBe(true)
    expect(inSegment('eu-pro', { userId: 'x', region: 'eu', plan: 'free' })).toBe(false)
  })

  it('a segment with neither ids nor conditions contains nobody', () => {
    expect(inSegment('empty', { userId: 'alice' })).toBe(false)
  })

  it('negate inverts membership', () => {
    expect(inSegment('staff', { userId: 'bob' }, true)).toBe(true)
    expect(inSegment('staff', { userId: 'alice' }, true)).toBe(false)
  })

  it('an unknown segment never holds, even negated', () => {
    expect(inSegment('ghosts', { userId: 'alice' })).toBe(false)
    expect(inSegment('ghosts', { userId: 'alice' }, true)).toBe(false)
    expect(compileCondition({ segment: 'staff' }, NO_SEGMENTS)({ userId: 'alice' })).toBe(false)
  })

  it('compileSegment treats a nested segment condition as never holding', () => {
    const nested = {
      key: 'nested',
      userIds: [],
      conditions: [{ segment: 'staff' }],
      version: 1,
    } as unknown as Segment
    expect(compileSegment(nested)({ userId: 'alice' })).toBe(false)
  })
})
