import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runMain } from './run-cli.ts'
import { call, startServerProcess, type ServerProcess } from './server-process.ts'

const SLOW = 60_000
let dir: string
let live: ServerProcess
let adminKey: string
const others: ServerProcess[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'canary-backup-'))
  live = await startServerProcess(join(dir, 'live.db'), { newDatabase: true })
  adminKey = live.adminKey!
  expect(adminKey).toMatch(/^cf_admin_/)
  // State worth restoring: flags, cohorts, a segment, keys; left in the WAL (no checkpoint).
  expect((await call(live.url, adminKey, 'POST', '/api/v1/flags', { key: 'checkout-v2' })).status).toBe(201)
  expect((await call(live.url, adminKey, 'POST', '/api/v1/flags', { key: 'search-v3' })).status).toBe(201)
  const cohorts = { enabled: true, cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu'] }], rollout: 12.5 }] }
  expect((await call(live.url, adminKey, 'PATCH', '/api/v1/environments/production/flags/checkout-v2', cohorts)).status).toBe(200)
  expect((await call(live.url, adminKey, 'POST', '/api/v1/keys', { name: 'svc', kind: 'server', environment: 'production' })).status).toBe(201)
}, SLOW)

afterAll(async () => {
  for (const server of [live, ...others]) {
    server?.child.kill('SIGTERM')
    await server?.exited
  }
  rmSync(dir, { recursive: true, force: true })
})

/** What a server serves: flags with their states, environments with their versions, keys. */
async function servedState(server: ServerProcess, key: string) {
  const [flags, envs, keys] = await Promise.all([
    call(server.url, key, 'GET', '/api/v1/flags'),
    call(server.url, key, 'GET', '/api/v1/environments'),
    call(server.url, key, 'GET', '/api/v1/keys'),
  ])
  for (const r of [flags, envs, keys]) expect(r.status).toBe(200)
  return { flags: flags.json, envs: envs.json, keys: keys.json }
}

describe('canary backup', () => {
  it('copies the live database; restored into a second server, it serves the same state', { timeout: SLOW }, async () => {
    const backup = join(dir, 'backup.db')
    const result = await runMain(['backup', '--to', backup, '--db', join(dir, 'live.db')], {})
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^backed up .* \(\d+ pages, integrity ok\)$/m)
    expect(result.code).toBe(0)

    // The documented restore: the backup file becomes a (stopped) server's database.
    const restoredDb = join(dir, 'restored/canary-flags.db')
    rmSync(join(dir, 'restored'), { recursive: true, force: true })
    mkdirSync(join(dir, 'restored'))
    copyFileSync(backup, restoredDb)
    const restored = await startServerProcess(restoredDb)
    others.push(restored)
    expect(restored.adminKey).toBeUndefined() // the keys came along: no new admin key
    expect(await servedState(restored, adminKey)).toEqual(await servedState(live, adminKey))
  })

  it('refuses to overwrite a file, and a database that is not there', { timeout: SLOW }, async () => {
    const target = join(dir, 'twice.db')
    expect((await runMain(['backup', '--to', target, '--db', join(dir, 'live.db')], {})).code).toBe(0)
    const again = await runMain(['backup', '--to', target, '--db', join(dir, 'live.db')], {})
    expect(again.code).toBe(1)
    expect(again.stderr.trim()).toMatch(/^error: .*twice\.db already exists/)
    const missing = await runMain(['backup', '--to', join(dir, 'x.db'), '--db', join(dir, 'nope.db')], {})
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim()).toMatch(/^error: no database at .*nope\.db/)
    expect(existsSync(join(dir, 'x.db'))).toBe(false)
  })
})

describe('offline admin key recovery', () => {
  it('creates an admin key in the database file that the running server accepts at once', { timeout: SLOW }, async () => {
    const result = await runMain(['keys', 'create', '--kind', 'admin', '--db', join(dir, 'live.db')], {})
    expect(result.code).toBe(0)
    const secret = result.stdout.match(/^secret: (cf_admin_\S+)$/m)?.[1]
    expect(secret, result.stdout).toBeDefined()
    expect((await call(live.url, secret!, 'GET', '/api/v1/flags')).status).toBe(200)
    const audit = await call(live.url, secret!, 'GET', '/api/v1/audit')
    expect(audit.json.items[0]).toMatchObject({ actor: 'cli:offline', action: 'key.create' })
  })

  it('refuses a missing database, an unknown kind and an unknown environment with one line', { timeout: SLOW }, async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--kind', 'admin', '--db', join(dir, 'nope.db')], /^error: no database at /],
      [['--kind', 'boss', '--db', join(dir, 'live.db')], /^error: --kind: boss is not one of admin, server, client$/],
      [['--kind', 'server', '--env', 'staging', '--db', join(dir, 'live.db')], /^error: environment staging not found/],
    ]
    for (const [args, message] of cases) {
      const result = await runMain(['keys', 'create', ...args], {})
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr.trim()).toMatch(message)
    }
    expect(existsSync(join(dir, 'nope.db'))).toBe(false)
  })

  it('warns when CANARY_ADMIN_KEY is set on a database that does not hold it', { timeout: SLOW }, async () => {
    const copy = join(dir, 'warn.db')
    expect((await runMain(['backup', '--to', copy, '--db', join(dir, 'live.db')], {})).code).toBe(0)
    const server = await startServerProcess(copy, { env: { CANARY_ADMIN_KEY: 'not-a-key-of-this-database' } })
    others.push(server)
    await expect.poll(() => server.output(), { timeout: 10_000 }).toMatch(/WARN .*CANARY_ADMIN_KEY is set but this database .*canary keys create --kind admin --db/)
    expect((await call(server.url, 'not-a-key-of-this-database', 'GET', '/api/v1/flags')).status).toBe(401)
  })
})
