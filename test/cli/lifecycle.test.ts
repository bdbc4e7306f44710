import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../server/main.ts'
import { runMain } from './run-cli.ts'

/**
 * A canary's lifecycle from the command line, in process: cohorts and segments, the truthful
 * list, `flags show` with guard and plan, the audit log, and the argument edge cases.
 */

const ADMIN_KEY = 'cli-lifecycle-admin-key-0123456789'
let dir: string
let server: RunningServer
let env: Record<string, string>
const canary = (...args: string[]) => runMain(args, env)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'canary-cli-life-'))
  server = await startServer(
    { port: 0, host: '127.0.0.1', databasePath: join(dir, 'db.sqlite'), adminKey: ADMIN_KEY, publicUrl: '' },
    { log: () => {} },
  )
  env = { CANARY_URL: `http://127.0.0.1:${server.port}`, CANARY_KEY: ADMIN_KEY }
  expect((await canary('flags', 'create', 'checkout-v2', '--client-side')).code).toBe(0)
})
afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

const P = ['--env', 'production']

describe('canary cohorts', () => {
  it('adds beta users and a region canary, changes and removes cohorts, with a way forward from "still off"', async () => {
    const on = await canary('flags', 'on', 'checkout-v2', ...P)
    expect(on.stdout).toContain('still off for every user')

    const beta = await canary('cohorts', 'add', 'checkout-v2', ...P, '--cohort', 'beta', '--attr', 'userId', '--op', 'in', '--values', 'ann,bo,cy')
    expect(beta).toMatchObject({ code: 0, stderr: '' })
    expect(beta.stdout).toContain('added cohort beta of checkout-v2 in production (beta: 3 users)')

    const eu = await canary(
      ...['cohorts', 'add', 'checkout-v2', ...P, '--cohort', 'eu-canary', '--percent', '25'],
      ...['--attr', 'region', '--op', 'in', '--values', 'eu-west'],
    )
    expect(eu.stdout).toContain('eu-canary: 25% of region eu-west')

    const list = await canary('flags', 'list', ...P)
    expect(list.stdout).toMatch(/checkout-v2\s+production\s+on\s+beta: 3 users · eu-canary: 25% of region eu-west\s+no guard\s+-\s+yes/)

    const cohorts = await canary('cohorts', 'list', 'checkout-v2', ...P)
    expect(cohorts.stdout).toMatch(/^eu-canary\s+25%\s+region in \[eu-west\]$/m)

    const widened = await canary('cohorts', 'set', 'checkout-v2', ...P, '--cohort', 'eu-canary', '--attr', 'region', '--op', 'in', '--values', 'eu-west,eu-north')
    expect(widened.stdout).toContain('eu-canary: 25% of region eu-west, eu-north')

    const file = join(dir, 'conditions.json')
    writeFileSync(file, JSON.stringify([{ attribute: 'appVersion', operator: 'semver_gt', values: ['2.0.0'] }]))
    const fromFile = await canary('cohorts', 'add', 'checkout-v2', ...P, '--cohort', 'new-app', '--percent', '5', '--file', file)
    expect(fromFile.stdout).toContain('new-app: 5% of appVersion semver gt 2.0.0')

    const removed = await canary('cohorts', 'remove', 'checkout-v2', ...P, '--cohort', 'new-app')
    expect(removed.stdout).toContain('removed cohort new-app')
    const json = JSON.parse((await canary('cohorts', 'list', 'checkout-v2', ...P, '--json')).stdout)
    expect(json.map((c: { name: string }) => c.name)).toEqual(['beta', 'eu-canary'])
  })

  it('refuses a negative percentage with a range error, and an unknown operator by name', async () => {
    const negative = await canary('flags', 'rollout', 'checkout-v2', ...P, '--cohort', 'eu-canary', '--percent', '-5')
    expect(negative.code).toBe(1)
    expect(negative.stderr.trim()).toBe('error: --percent: -5 is not a percentage between 0 and 100')
    const cohort = await canary('cohorts', 'set', 'checkout-v2', ...P, '--cohort', 'eu-canary', '--percent', '-0.5')
    expect(cohort.stderr.trim()).toBe('error: --percent: -0.5 is not a percentage between 0 and 100')
    const op = await canary('cohorts', 'add', 'checkout-v2', ...P, '--cohort', 'x', '--attr', 'region', '--op', 'equals', '--values', 'eu')
    expect(op.stderr).toContain('--op: unknown operator equals')
    const duplicate = await canary('cohorts', 'add', 'checkout-v2', ...P, '--cohort', 'beta')
    expect(duplicate.stderr).toContain('cohort beta already exists')
  })

  it('says what a flag key may contain, not the raw pattern', async () => {
    const bad = await canary('flags', 'create', 'Checkout V2')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('use 1 to 128 characters without spaces, control characters')
    expect(bad.stderr).not.toContain('\\p{Cc}')
  })
})

describe('canary segments', () => {
  it('creates, shows, changes, uses and removes a segment', async () => {
    const created = await canary('segments', 'create', 'internal-staff', ...P, '--users', 'ann,bo', '--description', 'Staff')
    expect(created.stdout).toContain('created segment internal-staff: 2 listed users')
    const changed = await canary('segments', 'set', 'internal-staff', ...P, '--attr', 'email', '--op', 'ends_with', '--values', '@example.com')
    expect(changed.stdout).toContain('2 listed users or email ends_with [@example.com]')
    const list = await canary('segments', 'list', ...P)
    expect(list.stdout).toMatch(/^internal-staff\s+2 listed users or email ends_with \[@example.com\]\s+Staff$/m)
    const used = await canary('cohorts', 'add', 'checkout-v2', ...P, '--cohort', 'staff', '--segment', 'internal-staff')
    expect(used.stdout).toContain('staff: segment internal-staff')
    expect((await canary('segments', 'remove', 'internal-staff', ...P)).code).toBe(1)
    await canary('cohorts', 'remove', 'checkout-v2', ...P, '--cohort', 'staff')
    const removed = await canary('segments', 'remove', 'internal-staff', ...P)
    expect(removed).toMatchObject({ code: 0, stdout: 'deleted segment internal-staff\n' })
  })
})

describe('canary flags show and canary audit', () => {
  it('shows browsers, the guard with its evidence and the plan of one environment', async () => {
    await canary('guard', 'set', 'checkout-v2', ...P, '--max-error-rate', '0.05')
    await canary('plan', 'start', 'checkout-v2', ...P, '--cohort', 'eu-canary', '--steps', '5,25,50,100', '--interval', '600', '--yes')
    const show = await canary('flags', 'show', 'checkout-v2', ...P)
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/^browsers:\s+visible to client keys \(client-side\)$/m)
    expect(show.stdout).toMatch(/^checkout-v2 in production: guard collecting evidence$/m)
    expect(show.stdout).toMatch(/^guard: off above 5.00% errors/m)
    expect(show.stdout).toMatch(/^evidence since .*: canary 0 errors in 0 exposures/m)
    expect(show.stdout).toMatch(/^how close to a trip: 0%/m)
    // The plan starts where the cohort is (25%): it widens only on evidence.
    expect(show.stdout).toMatch(/^plan: active on cohort eu-canary, step 1 of 3 \(25%\)/m)
    expect(show.stdout).toMatch(/^ {2}skipped 5%, 25%/m)
    const list = await canary('flags', 'list', ...P)
    expect(list.stdout).toMatch(/collecting evidence\s+step 1 of 3 \(25%\) on eu-canary, active, next \d{4}-\d\d-\d\d \d\d:\d\d UTC\s+yes/)
  })

  it('prints the audit log in words, filtered by flag, environment and actor', async () => {
    const all = await canary('audit', '--flag', 'checkout-v2', ...P)
    expect(all.code).toBe(0)
    expect(all.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual(['WHEN', 'ENVIRONMENT', 'FLAG', 'WHO', 'WHAT'])
    expect(all.stdout).toMatch(/production\s+checkout-v2\s+bootstrap-admin \(admin key\)\s+started a rollout plan/)
    const plans = await canary('audit', '--actor', 'plan')
    expect(plans.stdout.trim()).toBe('no changes recorded for this filter')
    const bad = await canary('audit', '--actor', 'robot')
    expect(bad.stderr.trim()).toBe('error: --actor: robot is not one of person, guard, plan')
    const help = await canary('audit', '--help')
    expect(help.stdout).toContain('canary audit [--flag F] [--env E] [--actor person|guard|plan] [--by person:EMAIL|admin-key:NAME] [--limit N]')
    expect(help.stdout).toContain('--key KEY')
    const json = JSON.parse((await canary('audit', '--flag', 'checkout-v2', '--limit', '2', '--json')).stdout)
    expect(json.items).toHaveLength(2)
  })

  it('says "an admin key" when a server key calls an admin endpoint', async () => {
    const key = await canary('keys', 'create', '--name', 'svc', '--kind', 'server', ...P, '--json')
    const secret = JSON.parse(key.stdout).secret as string
    const refused = await runMain(['flags', 'list'], { ...env, CANARY_KEY: secret })
    expect(refused.stderr.trim()).toBe('error: 403 Forbidden: a server key cannot use this endpoint; it needs an admin key')
  })
})
