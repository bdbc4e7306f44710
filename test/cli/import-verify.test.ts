import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateLaunchDarklyFile, generateUnleashFile, generateUsers, usersCsv } from '../fixtures/import/generate.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { runCli } from './run-cli.ts'

/** `canary import` and `canary verify` as real child processes (`bin/canary.js`, built `dist/`). */

describe('canary import and canary verify', () => {
  let server: TestServer
  let dir: string
  let env: Record<string, string>
  const files = { unleash: '', launchdarkly: '', users: '', bad: '' }
  beforeAll(async () => {
    server = await startTestServer()
    env = { CANARY_URL: server.url, CANARY_KEY: server.adminKey }
    dir = mkdtempSync(join(tmpdir(), 'canary-import-cli-'))
    files.unleash = join(dir, 'unleash.json')
    files.launchdarkly = join(dir, 'launchdarkly.json')
    files.users = join(dir, 'users.csv')
    files.bad = join(dir, 'bad.json')
    writeFileSync(files.unleash, JSON.stringify(generateUnleashFile(60, 41)))
    writeFileSync(files.launchdarkly, JSON.stringify(generateLaunchDarklyFile(60, 42)))
    writeFileSync(files.users, usersCsv(generateUsers(500, 43, { everyoneHasUserId: true })))
    writeFileSync(files.bad, JSON.stringify({ version: 2, features: [{ name: 'a', enabled: 'yes', strategies: [] }] }))
  })
  afterAll(async () => {
    await server?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('dry run prints one line per flag and writes nothing; the import then re-run is idempotent', async () => {
    const dry = await runCli(['import', 'unleash', files.unleash, '--env', 'production', '--dry-run'], env)
    expect(dry.code, dry.stderr).toBe(0)
    const flagLines = dry.stdout.split('\n').filter((l) => /^(exact|approximate|cannot map) /.test(l))
    expect(flagLines).toHaveLength(60)
    expect(dry.stdout).toMatch(/^60 flags: \d+ exact, \d+ approximate, \d+ cannot map$/m)
    expect(dry.stdout).toMatch(/^dry run: nothing written \(would be created \d+, updated 0, unchanged 0, overwritten 0\)$/m)
    expect((await server.api('GET', '/api/v1/flags')).json.items).toEqual([])

    const first = await runCli(['import', 'unleash', files.unleash, '--env', 'production'], env)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/^production: created \d+, updated 0, unchanged 0, overwritten 0$/m)
    const again = await runCli(['import', 'unleash', files.unleash, '--env', 'production', '--json'], env)
    expect(again.code, again.stderr).toBe(0)
    const json = JSON.parse(again.stdout)
    expect(json.outcome.flags.every((f: { action: string }) => f.action === 'unchanged')).toBe(true)
  })

  it('verify --env compares the flags as the server holds them, and names one changed since', { timeout: 120_000 }, async () => {
    const args = ['verify', 'unleash', files.unleash, '--users', files.users, '--at', '2026-06-01T00:00:00Z', '--env', 'production']
    const clean = await runCli(args, env)
    expect(clean.code, clean.stdout + clean.stderr).toBe(0)
    expect(clean.stdout).toContain('no disagreements on exactly mapped flags')
    // Someone turns an exactly imported flag that is on for everyone off on the server.
    const states = (await server.api('GET', '/api/v1/environments/production/flags')).json.items as Array<{ key: string; enabled: boolean; cohorts: Array<{ conditions: unknown[]; rollout: number; bucketing?: unknown }> }>
    const dry = JSON.parse((await runCli(['import', 'unleash', files.unleash, '--env', 'production', '--dry-run', '--json'], env)).stdout)
    const exact = new Set(dry.report.filter((r: { status: string }) => r.status === 'exact').map((r: { key: string }) => r.key))
    const victim = states.find((st) => exact.has(st.key) && st.enabled && st.cohorts.some((c) => c.conditions.length === 0 && c.rollout === 100 && !c.bucketing))!
    expect((await server.api('PATCH', `/api/v1/environments/production/flags/${encodeURIComponent(victim.key)}`, { enabled: false })).status).toBe(200)
    const changed = await runCli(args, env)
    expect(changed.code).toBe(1)
    expect(changed.stdout).toContain(`DISAGREES  ${victim.key}: 500 of 500 users`)
    expect(changed.stderr).toContain('exactly mapped flags disagree')
  })

  it('a bad file is refused with the place, and nothing is written', async () => {
    const before = (await server.api('GET', '/api/v1/flags')).json.items.length
    const bad = await runCli(['import', 'unleash', files.bad, '--env', 'production'], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('features[0].enabled: expected true or false, got string "yes"')
    expect((await server.api('GET', '/api/v1/flags')).json.items.length).toBe(before)
    const missing = await runCli(['import', 'unleash', join(dir, 'nope.json'), '--env', 'production'], env)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('cannot read')
  })

  it('verify finds no disagreement on exactly mapped flags, for Unleash and LaunchDarkly', { timeout: 120_000 }, async () => {
    for (const source of ['unleash', 'launchdarkly'] as const) {
      const run = await runCli(['verify', source, files[source], '--users', files.users, '--at', '2026-06-01T00:00:00Z'], {})
      expect(run.code, run.stdout + run.stderr).toBe(0)
      expect(run.stdout).toMatch(/^compared \d+ flags for 500 users/m)
      expect(run.stdout).toContain('no disagreements on exactly mapped flags')
    }
  })
})
