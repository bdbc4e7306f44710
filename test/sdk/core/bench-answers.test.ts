// Contract: sdk/SPEC.md §11 (shared fixtures). Where this test and the spec disagree, one of them is a bug.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { benchAnswers } from '../../../sdk/fixtures/bench-answers.ts'

/**
 * sdk/fixtures/bench-answers.json is what every other SDK checks its answers against for 10,000
 * users: it must stay exactly what the TypeScript core answers.
 */
describe('bench answers fixture', () => {
  it('equals the core\'s answers for 10,000 users', () => {
    const stored = JSON.parse(readFileSync(new URL('../../../sdk/fixtures/bench-answers.json', import.meta.url), 'utf8'))
    const fresh = benchAnswers()
    expect(stored).toEqual(JSON.parse(JSON.stringify(fresh)))
    expect(fresh.answers).toHaveLength(10_000)
    // Every kind of answer occurs: the beta list, the region canary, its control arm, no match.
    for (const code of Object.keys(fresh.codes)) expect(fresh.answers).toContain(code)
  })
})
