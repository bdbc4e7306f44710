// Contract: sdk/SPEC.md §2.6 (bounded cost). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it } from 'vitest'
import { cohortsCostProblem, conditionsCost, LIMITS } from '../../../sdk/core/limits.ts'
import type { AttributeCondition, Cohort, Segment } from '../../../sdk/core/types.ts'

/** The cost bounds of a flag's rules (the API refuses a flag over them: strict-requests.test.ts). */
const sizeOf = (pattern: string, caseInsensitive: boolean) => (pattern === 'bad' ? undefined : pattern.length * (caseInsensitive ? 2 : 1))
const matches = (values: unknown[], caseInsensitive?: boolean): AttributeCondition =>
  ({ attribute: 'email', operator: 'matches', values, ...(caseInsensitive === undefined ? {} : { caseInsensitive }) }) as AttributeCondition
const needles = (operator: 'starts_with' | 'ends_with' | 'contains' | 'in', count: number): AttributeCondition => ({
  attribute: 'name',
  operator,
  values: Array.from({ length: count }, (_, i) => `n${i}`),
})
const cohort = (conditions: Cohort['conditions']): Cohort => ({ name: 'c', conditions, rollout: 100 })

describe('LIMITS', () => {
  it('states the documented bounds', () => {
    expect(LIMITS).toEqual({ maxTextLength: 256, maxPatternSize: 300, maxFlagPatternSize: 1000, maxFlagStringNeedles: 2000, maxRulesBytes: 524_288 })
    expect(Object.isFrozen(LIMITS)).toBe(true)
  })
})

describe('conditionsCost', () => {
  it('sums pattern sizes of matches (case-insensitive passed on, invalid and non-string patterns 0) and needles of the string operators only', () => {
    expect(conditionsCost([], sizeOf)).toEqual({ patternSize: 0, stringNeedles: 0 })
    expect(
      conditionsCost(
        [matches(['abc', 'de']), matches(['xyz'], true), matches(['bad', 7]), needles('starts_with', 2), needles('ends_with', 3), needles('contains', 4), needles('in', 50)],
        sizeOf,
      ),
    ).toEqual({ patternSize: 3 + 2 + 6, stringNeedles: 9 })
    expect(conditionsCost([matches(['abc'], false)], sizeOf)).toEqual({ patternSize: 3, stringNeedles: 0 })
  })
})

describe('cohortsCostProblem', () => {
  const segments = new Map<string, Segment>([['long', { key: 'long', userIds: [], conditions: [matches(['x'.repeat(400)])], version: 1 }]])

  it('accepts rules at the limits', () => {
    expect(cohortsCostProblem([], segments, sizeOf)).toBeUndefined()
    expect(cohortsCostProblem([cohort([matches(['x'.repeat(1000)])])], segments, sizeOf)).toBeUndefined()
    expect(cohortsCostProblem([cohort([needles('contains', 2000)])], segments, sizeOf)).toBeUndefined()
    // An unknown segment costs nothing here (the API refuses it for another reason).
    expect(cohortsCostProblem([cohort([{ segment: 'missing' }])], segments, sizeOf)).toBeUndefined()
  })

  it('counts a segment once per reference, with the cohorts own conditions', () => {
    expect(cohortsCostProblem([cohort([{ segment: 'long' }, { segment: 'long' }, matches(['x'.repeat(200)])])], segments, sizeOf)).toBeUndefined()
    expect(cohortsCostProblem([cohort([{ segment: 'long' }, { segment: 'long' }, matches(['x'.repeat(201)])])], segments, sizeOf)).toBe(
      'the patterns of its matches conditions (with those of the segments it uses) total 1001 program instructions, more than 1000',
    )
    expect(cohortsCostProblem([cohort([{ segment: 'long' }]), cohort([{ segment: 'long' }]), cohort([{ segment: 'long' }])], segments, sizeOf)).toBe(
      'the patterns of its matches conditions (with those of the segments it uses) total 1200 program instructions, more than 1000',
    )
  })

  it('refuses too many string needles over all cohorts', () => {
    expect(cohortsCostProblem([cohort([needles('contains', 1000)]), cohort([needles('ends_with', 1001)])], segments, sizeOf)).toBe(
      'its starts_with/ends_with/contains conditions (with those of the segments it uses) have 2001 values, more than 2000',
    )
  })

  it('refuses rules larger than the JSON bound before anything else', () => {
    const big = [cohort([{ attribute: 'userId', operator: 'in', values: ['u'.repeat(LIMITS.maxRulesBytes)] }])]
    const bytes = JSON.stringify(big).length
    expect(cohortsCostProblem(big, segments, sizeOf)).toBe(`the cohorts take ${bytes} bytes as JSON, more than 524288`)
    // Exactly at the bound is accepted.
    const fill = LIMITS.maxRulesBytes - JSON.stringify([cohort([{ attribute: 'userId', operator: 'in', values: [''] }])]).length
    const exact = [cohort([{ attribute: 'userId', operator: 'in', values: ['u'.repeat(fill)] }])]
    expect(JSON.stringify(exact).length).toBe(LIMITS.maxRulesBytes)
    expect(cohortsCostProblem(exact, segments, sizeOf)).toBeUndefined()
  })
})
