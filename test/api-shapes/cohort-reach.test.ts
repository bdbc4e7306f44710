import { describe, expect, it } from 'vitest'
import { audienceLines, audienceText, summarizeCohorts } from '../../api-shapes/audience.ts'
import { cohortReach } from '../../api-shapes/cohort-reach.ts'
import { notAPercentage, percentProblem } from '../../api-shapes/percent.ts'
import { rollout } from '../../server/validation.ts'
import { evaluate } from '../../sdk/core/evaluate.ts'
import type { Cohort, FlagState } from '../../sdk/core/types.ts'

const everyone = (rollout: number, name = 'everyone'): Cohort => ({ name, rollout, conditions: [] })
const region = (rollout: number, regions: string[], name = 'eu'): Cohort => ({
  name,
  rollout,
  conditions: [{ attribute: 'region', operator: 'in', values: regions }],
})

describe('cohortReach: rollouts of one flag nest (one salt), they do not add up', () => {
  it('a region cohort at or under "everyone" adds nobody', () => {
    expect(cohortReach([everyone(10), region(10, ['eu-west'])])[1]).toEqual({ rollout: 10, covered: 10, coveredBy: 'everyone', adds: 0 })
    expect(cohortReach([everyone(25), region(5, ['eu-west'])])[1]!.adds).toBe(0)
  })

  it('a region cohort above "everyone" adds only the points above it, whatever the order', () => {
    const [region25, all10] = cohortReach([region(25, ['eu-west']), everyone(10)])
    expect(region25).toEqual({ rollout: 25, covered: 10, coveredBy: 'everyone', adds: 15 })
    expect(all10).toEqual({ rollout: 10, covered: 0, coveredBy: undefined, adds: 10 })
  })

  it('claims no overlap between cohorts whose audiences only may overlap', () => {
    const plan = { name: 'pro', rollout: 50, conditions: [{ attribute: 'plan', operator: 'in' as const, values: ['pro'] }] }
    expect(cohortReach([region(25, ['eu-west']), plan]).map((r) => r.covered)).toEqual([0, 0])
    // A different value list is a different audience, even on the same attribute.
    expect(cohortReach([region(25, ['eu-west']), region(5, ['us-east'], 'us')]).map((r) => r.covered)).toEqual([0, 0])
  })

  it('a narrower cohort (more conditions) is covered by a wider one; between equal ones the earlier is credited', () => {
    const narrower: Cohort = { name: 'eu-pro', rollout: 20, conditions: [...region(0, ['eu-west']).conditions, { attribute: 'plan', operator: 'in', values: ['pro'] }] }
    expect(cohortReach([region(30, ['eu-west']), narrower])[1]).toMatchObject({ covered: 30, coveredBy: 'eu', adds: 0 })
    const twins = cohortReach([region(10, ['eu-west'], 'first'), region(10, ['eu-west'], 'second')])
    expect(twins.map((r) => r.adds)).toEqual([10, 0])
  })

  it('never claims two cut-off lists (a summary of more than 3 values) are the same', () => {
    const long = (name: string, extra: string): Cohort => ({ name, rollout: 100, conditions: [{ attribute: 'userId', operator: 'in', values: ['a', 'b', 'c', extra] }] })
    expect(cohortReach(summarizeCohorts([long('one', 'd'), long('two', 'e')])).map((r) => r.covered)).toEqual([0, 0])
  })

  it('case-insensitive and case-sensitive conditions are different audiences', () => {
    const ci: Cohort = { name: 'ci', rollout: 5, conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'], caseInsensitive: true }] }
    expect(cohortReach(summarizeCohorts([region(50, ['eu-west']), ci]))[1]!.covered).toBe(0)
  })

  it('agrees with evaluation: the users a flag reaches are the union the reach describes', () => {
    const cohorts = [everyone(10), region(25, ['eu-west']), region(5, ['eu-west'], 'eu-small')]
    const flag: FlagState = { key: 'nest', enabled: true, salt: 'nest', stickiness: 'userId', cohorts, version: 1 } as FlagState
    const users = Array.from({ length: 20_000 }, (_, i) => ({ userId: `u${i}`, region: i % 2 ? 'eu-west' : 'us-east' }))
    const on = (region: string) => users.filter((u) => u.region === region && evaluate(flag, u).enabled).length / 10_000
    const reach = cohortReach(cohorts)
    // eu-west: everyone's 10 + eu's 15 + eu-small's 0 = 25%, not 10 + 25 + 5 = 40%.
    expect(reach.map((r) => r.adds)).toEqual([10, 15, 0])
    expect(reach[2]).toMatchObject({ covered: 25, coveredBy: 'eu' })
    expect(on('eu-west')).toBeCloseTo(0.25, 1)
    expect(on('us-east')).toBeCloseTo(0.1, 1)
  })
})

describe('the "Who gets it" words', () => {
  it('say what a nested cohort adds, or that it adds nobody', () => {
    expect(audienceLines(summarizeCohorts([everyone(10), region(25, ['eu-west']), region(5, ['eu-west'], 'eu-small')]))).toEqual([
      'everyone: 10% of all users',
      'eu: 25% of region eu-west (adds 15%: 10% of them already through everyone)',
      "eu-small: 5% of region eu-west (adds nobody: within eu's 25%)",
    ])
    // At 100% beside a small "everyone": its users are all in, nothing to qualify.
    expect(audienceLines(summarizeCohorts([everyone(5), { name: 'beta', rollout: 100, conditions: [{ attribute: 'userId', operator: 'in', values: ['a'] }] }]))[1]).toBe('beta: 1 user')
  })

  it('stay as they were for cohorts nothing covers', () => {
    expect(audienceText(summarizeCohorts([region(25, ['eu-west']), { name: 'beta', rollout: 100, conditions: [{ attribute: 'userId', operator: 'in', values: ['a', 'b'] }] }]))).toBe(
      'eu: 25% of region eu-west · beta: 2 users',
    )
  })
})

describe('one wording for a percentage out of range', () => {
  it('is the CLI\'s, for typed text', () => {
    expect(percentProblem('150')).toBe('150 is not a percentage between 0 and 100')
    expect(percentProblem(' -5 ')).toBe(notAPercentage('-5'))
    expect(percentProblem('abc')).toBe(notAPercentage('abc'))
    expect(percentProblem('12.5')).toBeUndefined()
    expect(percentProblem('0')).toBeUndefined()
    expect(percentProblem('100')).toBeUndefined()
  })

  it('is the API\'s too, so the console shows the same words after Save', () => {
    expect(rollout.safeParse(150).error?.issues[0]?.message).toBe('150 is not a percentage between 0 and 100')
    expect(rollout.safeParse(-0.5).error?.issues[0]?.message).toBe('-0.5 is not a percentage between 0 and 100')
  })
})
