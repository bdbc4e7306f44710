import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../server/main.ts'
import { runCli } from './run-cli.ts'

const SLOW = 60_000
const ADMIN_KEY = 'cli-guard-admin-key-0123456789ab'
let server: RunningServer
let env: Record<string, string>
const canary = (...args: string[]) => runCli(args, env)

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'canary-cli-guard-'))
  server = await startServer(
    { port: 0, host: '127.0.0.1', databasePath: join(dir, 'db.sqlite'), adminKey: ADMIN_KEY, publicUrl: '' },
    { log: () => {} },
  )
  env = { CANARY_URL: server.url, CANARY_KEY: ADMIN_KEY }
  await fetch(`${server.url}/api/v1/flags`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ key: 'checkout-v2' }),
  })
  await fetch(`${server.url}/api/v1/environments/production/flags/checkout-v2`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 0 }] }),
  })
})
afterAll(() => server?.close())

describe('canary guard and canary plan', () => {
  it('sets and shows a guard, then starts, pauses, resumes and cancels a plan', { timeout: SLOW }, async () => {
    const set = await canary(
      ...['guard', 'set', 'checkout-v2', '--env', 'production'],
      ...['--max-error-rate', '0.05', '--min-exposures', '500', '--window', '60'],
    )
    expect(set).toMatchObject({ code: 0, stdout: expect.stringContaining('off above 5% errors') })
    const show = await canary('guard', 'show', 'checkout-v2', '--env', 'production')
    expect(show.stdout).toMatch(/^checkout-v2 in production: insufficient_data$/m)
    const start = await canary(
      ...['plan', 'start', 'checkout-v2', '--env', 'production'],
      ...['--cohort', 'everyone', '--steps', '1,5,25', '--interval', '600'],
    )
    expect(start.stdout).toContain('cohort everyone at 1%, then 5%, 25%')
    expect((await canary('plan', 'pause', 'checkout-v2', '--env', 'production')).stdout).toContain('paused at 1%')
    expect((await canary('plan', 'resume', 'checkout-v2', '--env', 'production')).stdout).toContain('active at 1%')
    expect((await canary('plan', 'cancel', 'checkout-v2', '--env', 'production')).stdout).toContain('cancelled at 1%')
    const again = await canary('plan', 'pause', 'checkout-v2', '--env', 'production')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('409')
  })

  it('refuses a guard without its figures before calling the server', { timeout: SLOW }, async () => {
    const res = await canary('guard', 'set', 'checkout-v2', '--env', 'production', '--max-error-rate', '0.05')
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('missing --min-exposures')
  })
})
