import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../helpers/stack.ts'
import { generateLaunchDarklyFile, generateUnleashFile } from '../fixtures/import/generate.ts'

/**
 * `POST /api/v1/import/:source` through the whole stack on real SQLite: dry run, import, re-run,
 * conflicts, overwrite, a failure midway (a real SQLite trigger) and bad files.
 */

let s: Stack | undefined
let dir: string | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const importUrl = (source: string, query: Record<string, string>) => `/api/v1/import/${source}?${new URLSearchParams({ environment: 'production', ...query })}`
const flagCount = async (stack: Stack) => (await stack.call('GET', '/api/v1/flags')).json.items.length

describe('Unleash import', () => {
  const file = generateUnleashFile(300, 11)

  it('dry run reports every flag once and writes nothing', async () => {
    s = await makeStack()
    const before = await s.fingerprint()
    const res = await s.call('POST', importUrl('unleash', { dryRun: 'true' }), { body: file })
    expect(res.status).toBe(200)
    expect(res.json.report.map((r: { key: string }) => r.key)).toEqual(file.features.map((f) => f.name))
    expect(new Set(res.json.report.map((r: { status: string }) => r.status))).toEqual(new Set(['exact', 'approximate', 'cannot_map']))
    expect(res.json.outcome.flags.every((f: { action: string }) => f.action === 'create')).toBe(true)
    expect(await s.fingerprint()).toEqual(before)
    expect(await flagCount(s)).toBe(0)
  })

  it('imports every mappable flag at once, and a re-run changes nothing', async () => {
    s = await makeStack()
    const res = await s.call('POST', importUrl('unleash', {}), { body: file })
    expect(res.status).toBe(201)
    const mapped = res.json.report.filter((r: { status: string }) => r.status !== 'cannot_map').length
    expect(mapped).toBeGreaterThan(250)
    expect(await flagCount(s)).toBe(mapped)
    const audit = await s.store.logs.audit({ limit: 5 })
    expect(audit.some((row) => row.action === 'flag.import')).toBe(true)
    const after = await s.fingerprint()
    const again = await s.call('POST', importUrl('unleash', {}), { body: file })
    expect(again.status).toBe(201)
    expect(again.json.outcome.flags.every((f: { action: string }) => f.action === 'unchanged')).toBe(true)
    expect(again.json.outcome.segments.every((f: { action: string }) => f.action === 'unchanged')).toBe(true)
    expect(await s.fingerprint()).toEqual(after)
  })

  it('refuses to replace changed rules unless overwrite, naming the flag', async () => {
    s = await makeStack()
    await s.call('POST', importUrl('unleash', {}), { body: file })
    const key = file.features.find((f) => f.enabled && f.strategies.length > 0 && !('dependencies' in f))!.name
    const path = `/api/v1/environments/production/flags/${encodeURIComponent(key)}`
    expect((await s.call('PATCH', path, { body: { enabled: false } })).status).toBe(200)
    const before = await s.fingerprint()
    const refused = await s.call('POST', importUrl('unleash', {}), { body: file })
    expect(refused.status).toBe(409)
    expect(refused.json.error.message).toContain(key)
    expect(refused.json.error.details.flags).toEqual([key])
    expect(await s.fingerprint()).toEqual(before)
    const forced = await s.call('POST', importUrl('unleash', { overwrite: 'true' }), { body: file })
    expect(forced.status).toBe(201)
    expect(forced.json.outcome.flags.find((f: { key: string }) => f.key === key).action).toBe('overwrite')
    expect((await s.call('GET', path)).json.enabled).toBe(true)
  })

  it('leaves nothing behind when a write fails midway (all or nothing)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'import-atomic-'))
    const databasePath = join(dir, 'canary.db')
    s = await makeStack({ databasePath })
    // A real failure inside the transaction: SQLite refuses the 200th flag's insert.
    const victim = file.features.filter((f) => !('dependencies' in f))[200]!.name
    const raw = new Database(databasePath)
    raw.exec(`CREATE TRIGGER refuse_one BEFORE INSERT ON flags WHEN NEW.key = '${victim.replace(/'/g, "''")}' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`)
    raw.close()
    const before = await s.fingerprint()
    const res = await s.call('POST', importUrl('unleash', {}), { body: file })
    expect(res.status).toBe(500)
    expect(await s.fingerprint()).toEqual(before)
    expect(await flagCount(s)).toBe(0)
    expect(await s.store.segments.list('production')).toEqual([])
  })

  it('refuses a file whose rules would take the environment over its size bound', async () => {
    s = await makeStack({ maxRulesBytes: 20_000 })
    const before = await s.fingerprint()
    const res = await s.call('POST', importUrl('unleash', {}), { body: file })
    expect(res.status).toBe(400)
    expect(res.json.error.message).toMatch(/^file: the rules of environment production would be \d+ bytes, over its limit of 20000 \(CANARY_MAX_RULES_BYTES\)$/)
    expect(await s.fingerprint()).toEqual(before)
  })

  it('refuses a bad file naming the place, and changes nothing', async () => {
    s = await makeStack()
    const bad = structuredClone(file) as { features: Array<{ strategies: Array<Record<string, unknown>> }> }
    bad.features[3]!.strategies = [{ parameters: {} }]
    const before = await s.fingerprint()
    const res = await s.call('POST', importUrl('unleash', {}), { body: bad })
    expect(res.status).toBe(400)
    expect(res.json.error.message).toBe('file: features[3].strategies[0].name: expected a string, got nothing (the field is missing)')
    const notJson = await s.call('POST', importUrl('unleash', {}), { raw: '{"features": [' })
    expect(notJson.status).toBe(400)
    expect(notJson.json.error.message).toMatch(/^body: invalid JSON/)
    const unknownEnv = await s.call('POST', importUrl('unleash', { environment: 'nowhere' }), { body: file })
    expect(unknownEnv.status).toBe(404)
    expect(await s.fingerprint()).toEqual(before)
  })
})

describe('LaunchDarkly import', () => {
  const file = generateLaunchDarklyFile(300, 12)

  it('imports atomically and idempotently; multivariate flags are reported, not imported', { timeout: 120_000 }, async () => {
    s = await makeStack()
    const dry = await s.call('POST', importUrl('launchdarkly', { dryRun: 'true' }), { body: file })
    expect(dry.status).toBe(200)
    const multivariate = dry.json.report.filter((r: { notes: string[] }) => r.notes.some((n) => n.startsWith('multivariate')))
    expect(multivariate.length).toBeGreaterThan(0)
    expect(multivariate.every((r: { status: string }) => r.status === 'cannot_map')).toBe(true)
    expect(await flagCount(s)).toBe(0)
    const res = await s.call('POST', importUrl('launchdarkly', {}), { body: file })
    expect(res.status).toBe(201)
    const after = await s.fingerprint()
    const again = await s.call('POST', importUrl('launchdarkly', {}), { body: file })
    expect(again.json.outcome.flags.every((f: { action: string }) => f.action === 'unchanged')).toBe(true)
    expect(await s.fingerprint()).toEqual(after)
  })

  it('refuses a file whose flags are not an object, naming the field', async () => {
    s = await makeStack()
    const res = await s.call('POST', importUrl('launchdarkly', {}), { body: { flags: [], segments: {} } })
    expect(res.status).toBe(400)
    expect(res.json.error.message).toBe('file: flags: expected an object, got an array')
  })
})

describe('imported flag keys', () => {
  it('keep the source names in every route: definition, state, rollout, evaluation and snapshot', async () => {
    s = await makeStack()
    const keys = ['Feature.Variants.C', 'Feature.UTF-8.Hellø_Wørld', 'Feature.UTF-8.😊_φriend_你好_🌍']
    const file = { version: 2, features: keys.map((name) => ({ name, enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'userId', groupId: name } }] })) }
    expect((await s.call('POST', importUrl('unleash', {}), { body: file })).status).toBe(201)
    for (const key of keys) {
      const k = encodeURIComponent(key)
      expect((await s.call('GET', `/api/v1/flags/${k}`)).json.key).toBe(key)
      const state = await s.call('GET', `/api/v1/environments/production/flags/${k}`)
      expect(state.json.key).toBe(key)
      const rollout = await s.call('PUT', `/api/v1/environments/production/flags/${k}/cohorts/1-flexibleRollout/rollout`, { body: { rollout: 100 } })
      expect(rollout.status).toBe(200)
      const evaluated = await s.call('POST', '/api/v1/environments/production/evaluate', { body: { flag: key, user: { userId: 'u1' } } })
      expect(evaluated.json).toMatchObject({ flag: key, enabled: true })
      const created = await s.call('POST', '/api/v1/flags', { body: { key: `${key}.copy` } })
      expect(created.status).toBe(201)
    }
    const snapshot = await s.store.snapshot('production')
    expect(snapshot.flags.map((f) => f.key)).toEqual(expect.arrayContaining(keys))
  })
})
