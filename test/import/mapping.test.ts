import { describe, expect, it } from 'vitest'
import { compileFlag, toSegmentMap } from '../../sdk/core/index.ts'
import type { User } from '../../sdk/core/types.ts'
import { ipv4RangePattern } from '../../server/import/ipv4-pattern.ts'
import type { ImportPlan } from '../../server/import/import-plan.ts'
import { mapLaunchDarkly } from '../../server/import/launchdarkly-map.ts'
import { mapUnleash, unleashContextToUser } from '../../server/import/unleash-map.ts'
import { parseUsersCsv } from '../../server/import/users-csv.ts'
import { FLAG_KEY } from '../../server/validation.ts'

/** The pure mappings: the semantics that differ between the sources and this project. */

function evaluator(plan: ImportPlan) {
  const segments = toSegmentMap(plan.segments.map((s) => ({ ...s, version: 1 })))
  return (key: string, user: User) => {
    const f = plan.flags.find((x) => x.key === key)!
    return compileFlag({ key, enabled: f.enabled, salt: key, stickiness: 'userId', cohorts: f.cohorts, version: 1 }, segments).evaluate(user).enabled
  }
}

const unleashFlag = (constraints: unknown[], strategy: Record<string, unknown> = { name: 'default' }) =>
  mapUnleash({ version: 2, features: [{ name: 'f', enabled: true, strategies: [{ ...strategy, constraints }] }] })

describe('Unleash constraints', () => {
  it('an inverted constraint holds for a missing field, as Unleash negates a failed comparison', () => {
    const on = evaluator(unleashFlag([{ contextName: 'country', operator: 'IN', values: ['de'], inverted: true }]))
    expect(on('f', { country: 'de' })).toBe(false)
    expect(on('f', { country: 'fr' })).toBe(true)
    expect(on('f', {})).toBe(true)
  })

  it('NOT_IN holds for a missing field; IN with no values admits nobody, NOT_IN with none everyone', () => {
    expect(evaluator(unleashFlag([{ contextName: 'plan', operator: 'NOT_IN', values: ['free'] }]))('f', {})).toBe(true)
    expect(unleashFlag([{ contextName: 'plan', operator: 'IN', values: [] }]).flags[0]!.cohorts).toEqual([])
    expect(unleashFlag([{ contextName: 'plan', operator: 'NOT_IN', values: [] }]).flags[0]!.cohorts[0]!.conditions).toEqual([])
  })

  it('NUM_EQ compares numbers (5 = 5.0), inverted it is less, greater or missing', () => {
    const eq = evaluator(unleashFlag([{ contextName: 'age', operator: 'NUM_EQ', value: '5' }]))
    expect([eq('f', { age: '5.0' }), eq('f', { age: 6 }), eq('f', {})]).toEqual([true, false, false])
    const ne = evaluator(unleashFlag([{ contextName: 'age', operator: 'NUM_EQ', value: '5', inverted: true }]))
    expect([ne('f', { age: 5 }), ne('f', { age: 4 }), ne('f', { age: 6 }), ne('f', {})]).toEqual([false, true, true, true])
  })

  it('SEMVER_GTE is "not less" of a valid version, and a leading v is refused as Unleash refuses it', () => {
    const gte = evaluator(unleashFlag([{ contextName: 'v', operator: 'SEMVER_GTE', value: '1.2.0' }]))
    expect([gte('f', { v: '1.2.0' }), gte('f', { v: '1.10.0' }), gte('f', { v: '1.1.9' }), gte('f', { v: 'v1.3.0' }), gte('f', { v: 'x' })]).toEqual([
      true, true, false, false, false,
    ])
  })

  it('IN_CIDR and remoteAddress ranges become exact IPv4 patterns', () => {
    expect(ipv4RangePattern('10.12.0.0/14')).toBe('^10\\.(?:12|13|14|15)\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$')
    const on = evaluator(unleashFlag([{ contextName: 'remoteAddress', operator: 'IN_CIDR', values: ['10.12.0.0/14'] }]))
    expect(['10.12.0.1', '10.15.255.255', '10.16.0.0', '10.12.0.256'].map((ip) => on('f', { remoteAddress: ip }))).toEqual([true, true, false, false])
  })

  it('flexibleRollout keeps Unleash bucketing; groupId defaults to the flag name, gradual rollouts to ""', () => {
    const plan = mapUnleash({
      version: 2,
      features: [
        { name: 'Feature.A', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '33.9', stickiness: 'tenant' } }] },
        { name: 'Feature.B', enabled: true, strategies: [{ name: 'gradualRolloutUserId', parameters: { percentage: '20' } }] },
      ],
    })
    expect(plan.flags[0]!.cohorts[0]).toMatchObject({ rollout: 33, bucketing: { mode: 'unleash', groupId: 'Feature.A', stickiness: 'tenant' } })
    expect(plan.flags[1]!.cohorts[0]).toMatchObject({ rollout: 20, bucketing: { mode: 'unleash', groupId: '', stickiness: 'userId' } })
    expect(plan.report.map((r) => r.status)).toEqual(['exact', 'exact'])
  })

  it('reports custom strategies and dependencies as cannot map, and imports neither', () => {
    const plan = mapUnleash({
      version: 2,
      features: [
        { name: 'a', enabled: true, strategies: [{ name: 'default' }, { name: 'byTenantPlan', parameters: {} }] },
        { name: 'b', enabled: true, strategies: [], dependencies: [{ feature: 'a' }] },
      ],
    })
    expect(plan.flags).toEqual([])
    expect(plan.report).toEqual([
      { key: 'a', status: 'cannot_map', notes: ['custom strategy "byTenantPlan" (strategy 2)'] },
      { key: 'b', status: 'cannot_map', notes: ['depends on a: flag dependencies have no equivalent here'] },
    ])
  })

  it('reads an admin export: the named environment\'s strategies and on/off, in sort order', () => {
    const exported = {
      features: [{ name: 'Feature.A', description: 'a' }, { name: 'Feature.B' }],
      featureStrategies: [
        { featureName: 'Feature.A', environment: 'production', strategyName: 'userWithId', parameters: { userIds: 'u1' }, sortOrder: 1 },
        { featureName: 'Feature.A', environment: 'production', strategyName: 'flexibleRollout', parameters: { rollout: '10', groupId: 'g' }, sortOrder: 0 },
        { featureName: 'Feature.A', environment: 'development', strategyName: 'default', parameters: {} },
      ],
      featureEnvironments: [
        { featureName: 'Feature.A', environment: 'production', enabled: true },
        { featureName: 'Feature.B', environment: 'development', enabled: true },
      ],
      segments: [],
    }
    expect(() => mapUnleash(exported)).toThrow('featureEnvironments: the export has environments production, development: name the one to import')
    const plan = mapUnleash(exported, { sourceEnvironment: 'production' })
    expect(plan.flags.map((f) => [f.key, f.enabled, f.cohorts.map((c) => c.name)])).toEqual([
      ['Feature.A', true, ['1-flexibleRollout', '2-userWithId']],
      ['Feature.B', false, ['everyone']],
    ])
  })

  it('a context becomes a user: fields win over properties of the same name', () => {
    expect(unleashContextToUser({ userId: 'u1', properties: { userId: 'x', plan: 'pro' }, currentTime: new Date(0) })).toEqual({
      userId: 'u1',
      plan: 'pro',
      currentTime: '1970-01-01T00:00:00.000Z',
    })
  })
})

describe('LaunchDarkly', () => {
  const flag = (extra: Record<string, unknown>) => ({
    flags: { 'new-checkout': { key: 'new-checkout', on: true, salt: 's1', variations: [false, true], offVariation: 0, fallthrough: { variation: 0 }, ...extra } },
    segments: {},
  })

  it('a rollout keeps the true slice where LaunchDarkly puts it: offset = weights before it', () => {
    const plan = mapLaunchDarkly(flag({ fallthrough: { rollout: { variations: [{ variation: 0, weight: 30000 }, { variation: 1, weight: 70000 }], bucketBy: 'tenant', seed: 9 } } }))
    expect(plan.flags[0]!.cohorts).toEqual([
      { name: 'fallthrough@30000', conditions: [], rollout: 70, bucketing: { mode: 'launchdarkly', flagKey: 'new-checkout', salt: 's1', attribute: 'tenant', offset: 30000, seed: 9 } },
    ])
  })

  it('first match wins: a false rule shadows a later true rule for the users it matches', () => {
    const plan = mapLaunchDarkly(
      flag({
        rules: [
          { clauses: [{ attribute: 'country', op: 'in', values: ['de'] }], variation: 0 },
          { clauses: [{ attribute: 'plan', op: 'in', values: ['pro'] }], variation: 1 },
        ],
      }),
    )
    const on = evaluator(plan)
    expect([on('new-checkout', { plan: 'pro', country: 'de' }), on('new-checkout', { plan: 'pro', country: 'fr' }), on('new-checkout', { plan: 'pro' })]).toEqual([
      false, true, true,
    ])
  })

  it('prerequisites that give everyone one answer map; one that depends on the user does not', () => {
    const parent = (fallthrough: unknown, rules: unknown[] = []) => ({ key: 'parent', on: true, salt: 'p', variations: [false, true], offVariation: 0, fallthrough, rules })
    const child = { key: 'child', on: true, salt: 'c', variations: [false, true], offVariation: 0, fallthrough: { variation: 1 }, prerequisites: [{ key: 'parent', variation: 1 }] }
    const met = mapLaunchDarkly({ flags: { parent: parent({ variation: 1 }), child }, segments: {} })
    expect(met.flags.find((f) => f.key === 'child')!.cohorts).toEqual([{ name: 'fallthrough', conditions: [], rollout: 100 }])
    const unmet = mapLaunchDarkly({ flags: { parent: parent({ variation: 0 }), child }, segments: {} })
    expect(unmet.flags.find((f) => f.key === 'child')).toEqual({ key: 'child', description: '', enabled: false, cohorts: [] })
    const varies = mapLaunchDarkly({ flags: { parent: parent({ variation: 1 }, [{ clauses: [{ attribute: 'plan', op: 'in', values: ['pro'] }], variation: 0 }]), child }, segments: {} })
    expect(varies.report.find((r) => r.key === 'child')).toEqual({
      key: 'child',
      status: 'cannot_map',
      notes: ['prerequisite parent depends on the user (prerequisites have no equivalent here)'],
    })
  })

  it('multivariate flags cannot map, with the reason', () => {
    const plan = mapLaunchDarkly(flag({ variations: ['a', 'b'] }))
    expect(plan.report).toEqual([{ key: 'new-checkout', status: 'cannot_map', notes: ['multivariate: 2 variations (string); flags here are on/off'] }])
  })
})

describe('the flag key rule and the users CSV', () => {
  it('accepts keys as the sources name them and refuses what breaks paths or logs', () => {
    for (const key of ['Feature.Variants.C', 'Feature.UTF-8.Hellø_Wørld', 'Feature.UTF-8.😊_φriend_你好_🌍', 'checkout-v2', '...'])
      expect(FLAG_KEY.test(key), key).toBe(true)
    for (const key of ['', 'a b', 'a/b', 'a\\b', '.', '..', 'a\u200bb', 'x'.repeat(129)]) expect(FLAG_KEY.test(key), key).toBe(false)
  })

  it('reads quoted cells, numbers (ids stay text), missing cells, and names a bad row', () => {
    expect(parseUsersCsv('userId,age,note\n007,42,"a, ""b"""\nu2,,x\n')).toEqual([
      { userId: '007', age: 42, note: 'a, "b"' },
      { userId: 'u2', note: 'x' },
    ])
    expect(() => parseUsersCsv('userId,age\nu1\n')).toThrow('row 2: 1 cells, but the header names 2 attributes')
  })
})
