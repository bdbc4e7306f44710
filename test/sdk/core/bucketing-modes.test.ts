// Contract: sdk/SPEC.md §1 and §3 (bucketing modes). The references here are the official SDKs
// themselves (unleash-client's strategy class, LaunchDarkly's Node server SDK fed raw flag
// JSON), never this project's code.
import { createHash } from 'node:crypto'
import { basicLogger, init, integrations } from '@launchdarkly/node-server-sdk'
import FlexibleRolloutStrategy from 'unleash-client/lib/strategy/flexible-rollout-strategy.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bucketingModesOf, bucketingProblem, launchDarklyBucket } from '../../../sdk/core/bucketing-modes.ts'
import { compileFlag } from '../../../sdk/core/evaluate.ts'
import { sha1Hex } from '../../../sdk/core/sha1.ts'
import type { Cohort, FlagState, LaunchDarklyBucketing } from '../../../sdk/core/types.ts'

const NO_SEGMENTS = new Map()

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

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
  const strategy = new FlexibleRolloutStrategy()
  const next = random(29)

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

  it('hashes UTF-8 like Unleash\'s Go, Java and Python SDKs; unleash-client for Node hashes UTF-16 low bytes (SPEC.md §1)', () => {
    // murmurhash3js reads `charCodeAt(i) & 0xff`: for non-ASCII values the Node client buckets
    // differently from Unleash's other SDKs. ASCII ids (the norm) agree everywhere.
    const bucketing = { mode: 'unleash' as const, groupId: 'g', stickiness: 'userId' }
    const values = Array.from({ length: 200 }, (_, i) => `usér-${i}`)
    const differing = values.filter((userId) => {
      const ours = compileFlag(flagWith([{ name: 'r', conditions: [], rollout: 50, bucketing }]), NO_SEGMENTS).evaluate({ userId }).enabled
      return ours !== strategy.isEnabled({ groupId: 'g', rollout: '50', stickiness: 'userId' }, { userId })
    })
    expect(differing.length).toBeGreaterThan(0)
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
  const next = random(1229)
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
