// Contract: sdk/SPEC.md §3.1 (bucketing modes). The vectors come from the official SDKs; this
// test keeps the file equal to what they compute today and checks LaunchDarkly's buckets against
// a second, independent reading of its published algorithm.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  renderBucketingCompat,
  type LaunchDarklyVector,
  type UnleashVector,
} from '../../sdk/fixtures/generate-bucketing-compat.ts'
import { launchDarklyBucket } from '../../sdk/fixtures/launchdarkly-bucket-reference.ts'

const fileUrl = new URL('../../sdk/fixtures/bucketing-compat.json', import.meta.url)
const text = readFileSync(fileUrl, 'utf8')
const file = JSON.parse(text) as { unleash: UnleashVector[]; launchdarkly: LaunchDarklyVector[] }
const NON_ASCII = /[^\x00-\x7f]/

describe('sdk/fixtures/bucketing-compat.json', () => {
  it('is exactly what unleash-client and the LaunchDarkly Node SDK compute today', async () => {
    // On a mismatch: an SDK upgrade changed its bucketing (read the diff before regenerating).
    expect(await renderBucketingCompat()).toBe(text)
  }, 120_000)

  it('agrees with LaunchDarkly’s published algorithm computed independently', () => {
    const mismatches = file.launchdarkly.filter((row) => launchDarklyBucket(row) !== row.bucket)
    expect(mismatches).toEqual([])
  })

  it('each row’s answer follows from its bucket or hash by the formulas of SPEC §3.1', () => {
    const ld = file.launchdarkly.filter(
      (r) => ((r.bucket - r.offset + 100_000) % 100_000 < Math.round(r.rollout * 1000)) !== r.enabled,
    )
    const unleash = file.unleash.filter(
      (r) => (r.hash !== null && r.rollout > 0 && r.hash <= r.rollout) !== r.enabled,
    )
    expect([...ld, ...unleash]).toEqual([])
  })

  it('covers unicode, integers, seeds, wrapping offsets, boundary percentages and both answers', () => {
    const { unleash, launchdarkly: ld } = file
    expect(unleash.length).toBeGreaterThanOrEqual(400)
    expect(ld.length).toBeGreaterThanOrEqual(400)
    for (const rows of [unleash, ld]) {
      const rollouts = new Set(rows.map((r) => r.rollout))
      for (const edge of [0, 1, 99, 100, 0.001, 99.999]) expect(rollouts.has(edge)).toBe(true)
      expect(rows.some((r) => !Number.isInteger(r.rollout))).toBe(true)
      expect(rows.filter((r) => r.enabled).length).toBeGreaterThan(100)
      expect(rows.filter((r) => !r.enabled).length).toBeGreaterThan(100)
      expect(rows.some((r) => typeof r.value === 'string' && NON_ASCII.test(r.value))).toBe(true)
      expect(rows.some((r) => /\p{Extended_Pictographic}/u.test(String(r.value)))).toBe(true)
      expect(rows.some((r) => typeof r.value === 'number')).toBe(true)
      expect(rows.some((r) => r.value === null)).toBe(true)
    }
    expect(new Set(unleash.map((r) => r.stickiness))).toEqual(
      new Set(['default', 'userId', 'sessionId', 'tenantId', 'orgName']),
    )
    expect(ld.filter((r) => r.seed !== null).length).toBeGreaterThan(50)
    const wrapping = ld.filter((r) => r.offset + Math.round(r.rollout * 1000) > 100_000)
    expect(wrapping.filter((r) => r.enabled && r.bucket < r.offset).length).toBeGreaterThan(10)
    expect(ld.some((r) => typeof r.value === 'boolean')).toBe(true)
    expect(ld.some((r) => typeof r.value === 'number' && !Number.isInteger(r.value))).toBe(true)
  })

  it('records the UTF-8 hash exactly where unleash-client’s own differs (non-ASCII values only)', () => {
    const differing = file.unleash.filter((r) => r.hashUtf8 !== undefined)
    expect(differing.length).toBeGreaterThan(50)
    expect(differing.every((r) => NON_ASCII.test(`${r.groupId}:${r.value}`))).toBe(true)
    expect(differing.every((r) => r.hashUtf8 !== r.hash)).toBe(true)
  })
})
