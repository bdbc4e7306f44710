import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../server/cli/main.ts'
import { startServer, type RunningServer } from '../../server/main.ts'
import { call } from '../helpers/call-api.ts'

/**
 * `canary cohorts list` shows an imported cohort's bucketing; `canary cohorts own-bucketing`
 * moves it to the project's own, saying first that it reshuffles users and asking (issue 29).
 * A real server; commands in process, with the terminal's answer scripted.
 */
const ADMIN_KEY = 'cli-bucketing-admin-key-0123456789'
const FLAG = '/api/v1/environments/production/flags/Feature.Imported'
const bucketing = { mode: 'unleash', groupId: 'Feature.Imported', stickiness: 'default' }
let dir: string
let server: RunningServer
let url: string

async function canary(args: string[], terminal?: { answer: string }) {
  let stdout = ''
  let stderr = ''
  const asked: string[] = []
  const code = await main(args, {
    out: (text) => (stdout += `${text}\n`),
    err: (text) => (stderr += `${text}\n`),
    env: { CANARY_URL: url, CANARY_KEY: ADMIN_KEY },
    interactive: terminal !== undefined,
    ask: async (question) => {
      asked.push(question)
      return terminal?.answer ?? ''
    },
  })
  return { code, stdout, stderr, asked }
}
const stored = async () => (await call(url, ADMIN_KEY, 'GET', FLAG)).json.cohorts

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'canary-cli-bucketing-'))
  server = await startServer({ port: 0, host: '127.0.0.1', databasePath: join(dir, 'db.sqlite'), adminKey: ADMIN_KEY, publicUrl: '' }, { log: () => {} })
  url = `http://127.0.0.1:${server.port}`
  expect((await call(url, ADMIN_KEY, 'POST', '/api/v1/flags', { key: 'Feature.Imported' })).status).toBe(201)
  const cohorts = [
    { name: 'rollout', conditions: [], rollout: 25, bucketing },
    { name: 'staff', conditions: [{ attribute: 'team', operator: 'in', values: ['core'] }], rollout: 100 },
  ]
  expect((await call(url, ADMIN_KEY, 'PATCH', FLAG, { cohorts })).status).toBe(200)
})
afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('canary cohorts and bucketing modes', () => {
  it('lists the bucketing of each cohort when some cohort is imported', async () => {
    const listed = await canary(['cohorts', 'list', 'Feature.Imported', '--env', 'production'])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/COHORT\s+ROLLOUT\s+WHO\s+BUCKETING/)
    expect(listed.stdout).toMatch(/rollout\s+25%\s+everyone\s+unleash \(groupId Feature\.Imported, stickiness default\)/)
    expect(listed.stdout).toMatch(/staff\s+100%\s+.*\s+own/)
  })

  it('a widening keeps the mode', async () => {
    const widened = await canary(['cohorts', 'set', 'Feature.Imported', '--env', 'production', '--cohort', 'rollout', '--percent', '30'])
    expect(widened.code).toBe(0)
    expect((await stored())[0]).toEqual({ name: 'rollout', conditions: [], rollout: 30, bucketing })
  })

  it('own-bucketing says it reshuffles and changes nothing without a yes', async () => {
    const noTerminal = await canary(['cohorts', 'own-bucketing', 'Feature.Imported', '--env', 'production', '--cohort', 'rollout'])
    expect(noTerminal.code).toBe(1)
    expect(noTerminal.stdout).toContain(
      'changing the bucketing of cohort rollout from unleash (groupId Feature.Imported, stickiness default) to own reshuffles its users: at the same percentage, different users will be in and out.',
    )
    expect(noTerminal.stderr).toContain('not changed: no terminal to confirm on; pass --yes to reshuffle')
    const declined = await canary(['cohorts', 'own-bucketing', 'Feature.Imported', '--env', 'production', '--cohort', 'rollout'], { answer: 'n' })
    expect(declined.asked).toEqual(['Reshuffle? [y/N] '])
    expect(declined.code).toBe(1)
    expect((await stored())[0].bucketing).toEqual(bucketing)
  })

  it('own-bucketing with a yes moves the cohort and keeps the others as they were', async () => {
    const moved = await canary(['cohorts', 'own-bucketing', 'Feature.Imported', '--env', 'production', '--cohort', 'rollout'], { answer: 'y' })
    expect(moved.code).toBe(0)
    expect(moved.stdout).toContain("cohort rollout of Feature.Imported in production now uses this project's own bucketing (its users reshuffled)")
    expect(await stored()).toEqual([
      { name: 'rollout', conditions: [], rollout: 30 },
      { name: 'staff', conditions: [{ attribute: 'team', operator: 'in', values: ['core'] }], rollout: 100 },
    ])
    const again = await canary(['cohorts', 'own-bucketing', 'Feature.Imported', '--env', 'production', '--cohort', 'rollout', '--yes'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain("cohort rollout of Feature.Imported already uses this project's own bucketing: nothing to change")
  })
})
