// Contract: sdk/SPEC.md §2 (evaluation) and §4 (reasons). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it } from 'vitest'
import { compileFlag, evaluate, toSegmentMap } from '../../../sdk/core/evaluate.ts'
import { specCases } from '../../helpers/spec-cases.ts'

/**
 * The shared evaluation spec (sdk/fixtures/evaluation-cases.json), also run against the HTTP
 * evaluate route and the SDK client so all three agree.
 */
const cases = specCases

describe('evaluation spec cases', () => {
  it('has uniquely named cases', () => {
    const names = cases.map((c) => c.name)
    expect(cases.length).toBeGreaterThanOrEqual(30)
    expect(new Set(names).size).toBe(names.length)
  })

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, specCase) => {
    const segments = toSegmentMap(specCase.segments ?? [])
    expect(evaluate(specCase.flag, specCase.user, segments)).toEqual(specCase.expected)
    // The compiled path the SDK uses must agree with the one-off path the server uses.
    expect(compileFlag(specCase.flag, segments).evaluate(specCase.user)).toEqual(specCase.expected)
    // The SDK keeps no raw states: its cache holds states rebuilt from the compiled flags
    // (`toState`, through JSON), and they must answer the same.
    const rebuilt = JSON.parse(JSON.stringify(compileFlag(specCase.flag, segments).toState()) ?? 'null')
    expect(compileFlag(rebuilt, segments).evaluate(specCase.user)).toEqual(specCase.expected)
  })
})
