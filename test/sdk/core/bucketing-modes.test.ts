// Contract: sdk/SPEC.md §1 and §3 (bucketing modes). The references here are the official SDKs
// themselves (unleash-client's strategy class, LaunchDarkly's Node server SDK fed raw flag
// JSON), never this project's code.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { basicLogger, init, integrations } from '@launchdarkly/node-server-sdk'
import { defaultStrategies } from 'unleash-client/lib/strategy/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bucketingModesOf, bucketingProblem, launchDarklyBucket, launchDarklyBucketOfWords } from '../../../sdk/core/bucketing-modes.ts'
import { compileFlag } from '../../../sdk/core/evaluate.ts'
import { sha1Hex } from '../../../sdk/core/sha1.ts'
import type { Cohort, FlagState, LaunchDarklyBucketing } from '../../../sdk/core/types.ts'
import type { LaunchDarklyVector, UnleashVector } from '../../../sdk/fixtures/generate-bucketing-compat.ts'
import { seededRandom } from '../../../sdk/fixtures/prng.ts'

const NO_SEGMENTS = new Map()


const flagWith = (cohorts: Cohort[], extra: Partial<FlagState> = {}): FlagState => ({
  key: 'imported',
  enabled: true,
  salt: 'imported',
  stickiness: 'userId',
  cohorts,
  version: 1,
  ...extra,
})

describe('sha1 (pure, for LaunchDarkly bucketing)', () => {
  it('equals node:crypto on ASCII, multi-block, unicode and lone-surrogate inputs', () => {
    const inputs = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(1000), 'flag.salt.é日本😊', '\ud800x']
    for (const input of inputs) {
      expect(sha1Hex(input), JSON.stringify(input)).toBe(createHash('sha1').update(input, 'utf8').digest('hex'))
    }
  })
})

describe('unleash mode against unleash-client 6 (FlexibleRolloutStrategy)', () => {
  // unleash-client's own flexibleRollout strategy object, as its client evaluates with it.
  const strategy = defaultStrategies.find((s) => s.name === 'flexibleRollout')!
  const next = seededRandom(29)

  it('includes exactly the users the official strategy enables, over 3,000 random cases', () => {
    const disagreements: string[] = []
    for (let i = 0; i < 3000; i++) {
      const groupId = `group-${Math.floor(next() * 50)}`
      const userId = `user-${Math.floor(next() * 1e9).toString(36)}`
      // Integers and boundaries: 0, 1, 99, 100 appear often; Unleash percentages are integers.
      const rollout = [0, 1, 99, 100][i % 8] ?? Math.floor(next() * 101)
      const stickiness = i % 3 === 0 ? 'default' : i % 3 === 1 ? 'userId' : 'accountId'
      const user = { userId, accountId: `acct-${i}` }
      const flag = compileFlag(flagWith([{ name: 'r', conditions: [], rollout, bucketing: { mode: 'unleash', groupId, stickiness } }]), NO_SEGMENTS)
      const ours = flag.evaluate(user).enabled
      const theirs = strategy.isEnabled({ groupId, rollout: String(rollout), stickiness }, { userId, properties: { accountId: user.accountId } })
      if (ours !== theirs) disagreements.push(`${groupId} ${userId} ${rollout} ${stickiness}`)
    }
    expect(disagreements).toEqual([])
  })

  it('uses sessionId when default stickiness finds no userId, and leaves users with neither out', () => {
    const bucketing = { mode: 'unleash' as const, groupId: 'g', stickiness: 'default' }
    const flag = compileFlag(flagWith([{ name: 'r', conditions: [], rollout: 100, bucketing }]), NO_SEGMENTS)
    expect(flag.evaluate({ sessionId: 's-1' })).toEqual({ enabled: true, reason: 'cohort:r' })
    expect(flag.evaluate({ region: 'eu' })).toEqual({ enabled: false, reason: 'missing_stickiness' })
    expect(flag.evaluate({ userId: '' })).toEqual({ enabled: false, reason: 'missing_stickiness' })
  })

  it('answers outside_rollout for a user the hash leaves out, and keeps everyone in when widened', () => {
    const users = Array.from({ length: 2000 }, (_, i) => ({ userId: `u${i}` }))
    const at = (rollout: number) => compileFlag(flagWith([{ name: 'r', conditions: [], rollout, bucketing: { mode: 'unleash', groupId: 'g', stickiness: 'userId' } }]), NO_SEGMENTS)
    const in20 = users.filter((u) => at(20).evaluate(u).enabled)
    const in50 = at(50)
    expect(in20.length).toBeGreaterThan(300)
    expect(in20.length).toBeLessThan(500)
    expect(in20.every((u) => in50.evaluate(u).enabled)).toBe(true)
    const out = users.find((u) => !at(20).evaluate(u).enabled)!
    expect(at(20).evaluate(out)).toEqual({ enabled: false, reason: 'outside_rollout' })
  })

  it('hashes non-ASCII values as unleash-client does (low byte of each UTF-16 unit, SPEC.md §3.1)', () => {
    const values = Array.from({ length: 300 }, (_, i) => `usér-${i}-日本😊`)
    const bucketing = { mode: 'unleash' as const, groupId: 'gröup', stickiness: 'userId' }
    const flag = compileFlag(flagWith([{ name: 'r', conditions: [], rollout: 50, bucketing }]), NO_SEGMENTS)
    const differing = values.filter(
      (userId) => flag.evaluate({ userId }).enabled !== strategy.isEnabled({ groupId: 'gröup', rollout: '50', stickiness: 'userId' }, { userId }),
    )
    expect(differing).toEqual([])
    expect(values.filter((userId) => flag.evaluate({ userId }).enabled).length).toBeGreaterThan(100)
  })

  it('stickiness random leaves everyone out (Unleash draws at random; nothing to hash)', () => {
    const flag = compileFlag(flagWith([{ name: 'r', conditions: [], rollout: 100, bucketing: { mode: 'unleash', groupId: 'g', stickiness: 'random' } }]), NO_SEGMENTS)
    expect(flag.evaluate({ userId: 'u1' })).toEqual({ enabled: false, reason: 'missing_stickiness' })
  })
})

/** A LaunchDarkly flag whose fallthrough serves `true` to [offset, offset + weight) (wrapping). */
function ldFlagModel(key: string, b: LaunchDarklyBucketing, weight: number) {
  const end = b.offset + weight
  const slices =
    end <= 100_000
      ? [
          { variation: 1, weight: b.offset },
          { variation: 0, weight },
          { variation: 1, weight: 100_000 - end },
        ]
      : [
          { variation: 0, weight: end - 100_000 },
          { variation: 1, weight: 100_000 - weight },
          { variation: 0, weight: 100_000 - b.offset },
        ]
  return {
    key,
    version: 1,
    on: true,
    variations: [true, false],
    offVariation: 1,
    salt: b.salt,
    prerequisites: [],
    targets: [],
    rules: [],
    fallthrough: {
      rollout: {
        variations: slices.filter((s) => s.weight > 0),
        ...(b.attribute === 'key' ? {} : { bucketBy: b.attribute }),
        ...(b.seed === undefined ? {} : { seed: b.seed }),
      },
    },
    trackEvents: false,
    trackEventsFallthrough: false,
  }
}

describe('launchdarkly mode against @launchdarkly/node-server-sdk (TestData, no network)', () => {
  interface Case {
    key: string
    bucketing: LaunchDarklyBucketing
    rollout: number
    value: string | number
  }
  const next = seededRandom(1229)
  const cases: Case[] = Array.from({ length: 400 }, (_, i) => {
    const key = `ld-flag-${i}`
    const rollout = [0, 0.001, 1, 99, 100, 37.5][i % 12] ?? Math.round(next() * 100_000) / 1000
    const offset = i % 4 === 0 ? 0 : Math.floor(next() * 100_000)
    const seed = i % 5 === 0 ? Math.floor(next() * 1e9) : undefined
    const value = i % 7 === 0 ? Math.floor(next() * 1e6) : i % 11 === 0 ? `ü-${i}-日本😊` : `user-${Math.floor(next() * 1e9).toString(36)}`
    const bucketing: LaunchDarklyBucketing = {
      mode: 'launchdarkly',
      flagKey: key,
      salt: i % 6 === 0 ? '' : `salt-${i}`,
      attribute: 'key',
      offset,
      ...(seed === undefined ? {} : { seed }),
    }
    return { key, bucketing, rollout, value }
  })
  const td = new integrations.TestData()
  const client = init('sdk-test-key', {
    updateProcessor: td.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: basicLogger({ level: 'none' }),
  })
  beforeAll(async () => {
    for (const c of cases) await td.usePreconfiguredFlag(ldFlagModel(c.key, c.bucketing, Math.round(c.rollout * 1000)))
    await client.waitForInitialization({ timeout: 10 })
  })
  afterAll(() => client.close())

  it('includes exactly the users the official SDK serves true, over 400 flags (seeds, offsets that wrap, integers, unicode)', async () => {
    const disagreements: string[] = []
    let included = 0
    for (const c of cases) {
      // Our user attribute `userId` stands for LaunchDarkly's context key.
      const bucketing = { ...c.bucketing, attribute: 'userId' }
      const flag = compileFlag(flagWith([{ name: 'r', conditions: [], rollout: c.rollout, bucketing }]), NO_SEGMENTS)
      const ours = flag.evaluate({ userId: c.value }).enabled
      // LaunchDarkly context keys are strings; an integer id reaches it as its decimal text.
      const theirs = (await client.variation(c.key, { kind: 'user', key: String(c.value) }, null)) === true
      if (ours !== theirs) disagreements.push(`${c.key} value=${c.value} rollout=${c.rollout} offset=${c.bucketing.offset}`)
      if (theirs) included++
    }
    expect(disagreements).toEqual([])
    // Both answers occur often: the comparison cannot pass by both sides saying false.
    expect(included).toBeGreaterThan(100)
    expect(included).toBeLessThan(300)
  })

  it('buckets exactly as the published formula: floor(int(sha1[:15]) * 100000 / 0xFFFFFFFFFFFFFFF)', () => {
    for (const input of ['flag.salt.user-1', '12345.user-2', 'k..', 'f.s.日本']) {
      const h = BigInt(`0x${createHash('sha1').update(input, 'utf8').digest('hex').slice(0, 15)}`)
      expect(launchDarklyBucket(input)).toBe(Number((h * 100000n) / 0xfffffffffffffffn))
    }
  })

  it('computes the bucket exactly (no BigInt) at and around every slice boundary, and for random hashes', () => {
    const M = 0xfffffffffffffffn
    const exact = (h: bigint) => Number((h * 100000n) / M)
    const wordsOf = (h: bigint): [number, number] => [Number(h >> 28n), Number((h & 0xfffffffn) << 4n)]
    const hashes: bigint[] = [0n, 1n, M - 1n, M]
    // The smallest h of each bucket q (ceil(q·M / 100000)) and its neighbours.
    for (let q = 0n; q < 100000n; q += 7n) {
      const first = (q * M + 99999n) / 100000n
      hashes.push(first - 1n, first, first + 1n)
    }
    const next = seededRandom(61)
    for (let i = 0; i < 20000; i++) hashes.push((BigInt(Math.floor(next() * 2 ** 30)) << 30n) | BigInt(Math.floor(next() * 2 ** 30)))
    const wrong = hashes.filter((h) => h >= 0n && h <= M && launchDarklyBucketOfWords(...wordsOf(h)) !== Math.min(exact(h), 99999))
    expect(wrong.map(String)).toEqual([])
  })

  it('puts a user without a bucketable value in bucket 0, as LaunchDarkly does', () => {
    const at = (offset: number) =>
      compileFlag(flagWith([{ name: 'r', conditions: [], rollout: 10, bucketing: { mode: 'launchdarkly', flagKey: 'f', salt: 's', attribute: 'plan', offset } }]), NO_SEGMENTS)
    expect(at(0).evaluate({ userId: 'u1', plan: 1.5 })).toEqual({ enabled: true, reason: 'cohort:r' })
    expect(at(500).evaluate({ userId: 'u1' })).toEqual({ enabled: false, reason: 'missing_stickiness' })
  })
})

describe('malformed or unknown bucketing fails closed', () => {
  const bad: Array<[unknown, string]> = [
    [{ mode: 'optimizely' }, 'bucketing.mode must be one of unleash, launchdarkly (got "optimizely")'],
    ['unleash', 'bucketing must be an object'],
    [{ mode: 'unleash', stickiness: 'userId' }, 'bucketing.groupId must be a string'],
    [{ mode: 'unleash', groupId: 'g', stickiness: '' }, 'bucketing.stickiness must not be empty'],
    [{ mode: 'launchdarkly', flagKey: 'f', salt: 's', attribute: 'userId', offset: 100000 }, 'bucketing.offset must be an integer from 0 to 99999'],
    [{ mode: 'launchdarkly', flagKey: 'f', salt: 's', attribute: 'userId', offset: 1.5 }, 'bucketing.offset must be an integer from 0 to 99999'],
    [{ mode: 'launchdarkly', flagKey: 'f', salt: 's', attribute: 'userId', offset: 0, seed: 'x' }, 'bucketing.seed must be an integer'],
    [{ mode: 'launchdarkly', salt: 's', attribute: 'userId', offset: 0 }, 'bucketing.flagKey must be a string'],
  ]
  it.each(bad)('%j → error for every user, never the default hash', (bucketing, problem) => {
    expect(bucketingProblem(bucketing)).toBe(problem)
    const state = flagWith([{ name: 'r', conditions: [], rollout: 100, bucketing: bucketing as Cohort['bucketing'] }])
    const flag = compileFlag(state, NO_SEGMENTS)
    expect(flag.problem).toContain(problem)
    expect(flag.evaluate({ userId: 'u1' })).toEqual({ enabled: false, reason: 'error' })
    // Even when the flag is off, a malformed state says so.
    expect(compileFlag({ ...state, enabled: false }, NO_SEGMENTS).evaluate({ userId: 'u1' }).reason).toBe('error')
  })
})

describe('flags mixing modes', () => {
  it('evaluates each cohort with its own bucketing and round-trips through toState', () => {
    const state = flagWith([
      { name: 'staff', conditions: [{ attribute: 'staff', operator: 'in', values: ['yes'] }], rollout: 100 },
      { name: 'unleash', conditions: [], rollout: 100, bucketing: { mode: 'unleash', groupId: 'g', stickiness: 'accountId' } },
      { name: 'own', conditions: [], rollout: 0 },
    ])
    const flag = compileFlag(state, NO_SEGMENTS)
    expect(flag.evaluate({ userId: 'u1', staff: 'yes' })).toEqual({ enabled: true, reason: 'cohort:staff' })
    expect(flag.evaluate({ userId: 'u1', accountId: 'a1' })).toEqual({ enabled: true, reason: 'cohort:unleash' })
    // No accountId for the unleash cohort, outside the project's own 0%: the hash split wins.
    expect(flag.evaluate({ userId: 'u1' })).toEqual({ enabled: false, reason: 'outside_rollout' })
    expect(flag.toState()).toEqual(state)
    expect(bucketingModesOf(state)).toEqual(['unleash'])
  })

  it('an unleash cohort at 100% keeps users without a value out; a LaunchDarkly one at 100% takes everyone', () => {
    const unleash = compileFlag(flagWith([{ name: 'r', conditions: [], rollout: 100, bucketing: { mode: 'unleash', groupId: 'g', stickiness: 'userId' } }]), NO_SEGMENTS)
    expect(unleash.evaluate({})).toEqual({ enabled: false, reason: 'missing_stickiness' })
    const ld = compileFlag(flagWith([{ name: 'r', conditions: [], rollout: 100, bucketing: { mode: 'launchdarkly', flagKey: 'f', salt: '', attribute: 'userId', offset: 123 } }]), NO_SEGMENTS)
    expect(ld.evaluate({})).toEqual({ enabled: true, reason: 'cohort:r' })
    expect(ld.generic(ld.evaluate({})).reason).toBe('TARGETING_MATCH')
  })
})

describe('sdk/fixtures/bucketing-compat.json through a full evaluation (SPEC.md §3.1, §11)', () => {
  const file = JSON.parse(readFileSync(new URL('../../../sdk/fixtures/bucketing-compat.json', import.meta.url), 'utf8')) as {
    unleash: UnleashVector[]
    launchdarkly: LaunchDarklyVector[]
  }
  /** The answer a row names: `cohort:c` when enabled, else missing_stickiness or outside_rollout. */
  const expected = (enabled: boolean, noValue: boolean) =>
    enabled ? { enabled: true, reason: 'cohort:c' } : { enabled: false, reason: noValue ? 'missing_stickiness' : 'outside_rollout' }

  it('reproduces every unleash row', () => {
    expect(file.unleash.length).toBeGreaterThanOrEqual(400)
    const wrong = file.unleash.filter((row) => {
      const attribute = row.stickiness === 'default' ? 'userId' : row.stickiness
      const user = row.value === null ? {} : { [attribute]: row.value }
      const bucketing = { mode: 'unleash' as const, groupId: row.groupId, stickiness: row.stickiness }
      const answer = compileFlag(flagWith([{ name: 'c', conditions: [], rollout: row.rollout, bucketing }]), NO_SEGMENTS).evaluate(user)
      return JSON.stringify(answer) !== JSON.stringify(expected(row.enabled, row.hash === null))
    })
    expect(wrong).toEqual([])
  })

  it('reproduces every launchdarkly row', () => {
    expect(file.launchdarkly.length).toBeGreaterThanOrEqual(400)
    const bucketable = (v: unknown) => typeof v === 'string' || Number.isInteger(v)
    const wrong = file.launchdarkly.filter((row) => {
      const user = row.value === null ? {} : { [row.attribute]: row.value }
      const bucketing: LaunchDarklyBucketing = {
        mode: 'launchdarkly',
        flagKey: row.flagKey,
        salt: row.salt,
        attribute: row.attribute,
        offset: row.offset,
        ...(row.seed === null ? {} : { seed: row.seed }),
      }
      const answer = compileFlag(flagWith([{ name: 'c', conditions: [], rollout: row.rollout, bucketing }]), NO_SEGMENTS).evaluate(user)
      return JSON.stringify(answer) !== JSON.stringify(expected(row.enabled, !bucketable(row.value)))
    })
    expect(wrong).toEqual([])
  })
})
