import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../server/main.ts'
import { runCli, runMain } from './run-cli.ts'

// Commands run in process (`main` with captured output); one smoke test starts the real binary.
const SLOW = 60_000
const ADMIN_KEY = 'cli-test-admin-key-0123456789abc'

let dir: string
let server: RunningServer
let url: string
let env: Record<string, string>

const canary = (...args: string[]) => runMain(args, env)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'canary-cli-'))
  server = await startServer(
    {
      port: 0,
      host: '127.0.0.1',
      databasePath: join(dir, 'db.sqlite'),
      adminKey: ADMIN_KEY,
      publicUrl: '',
    },
    { log: () => {} },
  )
  url = `http://127.0.0.1:${server.port}`
  env = { CANARY_URL: url, CANARY_KEY: ADMIN_KEY }
})

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A port nothing listens on: bind one, then free it. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

describe('canary flags', () => {
  it('an empty list says how to create a flag, for one environment too', { timeout: SLOW }, async () => {
    for (const args of [['flags', 'list'], ['flags', 'list', '--env', 'production']]) {
      const empty = await canary(...args)
      expect(empty).toMatchObject({ code: 0, stderr: '' })
      expect(empty.stdout.trim()).toBe('no flags yet; create one with: canary flags create <key>')
    }
  })

  it('creates a flag and lists it as a table and as JSON', { timeout: SLOW }, async () => {
    const created = await canary(
      ...['flags', 'create', 'checkout-v2', '--description', 'New checkout'],
      ...['--tag', 'web', '--tag', 'beta'],
    )
    expect(created).toMatchObject({ code: 0, stderr: '' })
    expect(created.stdout).toContain('created flag checkout-v2 (off in development, production)')

    const table = await canary('flags', 'list')
    expect(table.code).toBe(0)
    const [header, row, row2] = table.stdout.trim().split('\n')
    expect(header?.split(/\s{2,}/)).toEqual(['KEY', 'ENVIRONMENT', 'STATE', 'WHO GETS IT', 'GUARD', 'PLAN', 'BROWSERS', 'DESCRIPTION'])
    expect(row?.split(/\s{2,}/)).toEqual(['checkout-v2', 'development', 'off', 'nobody (no cohorts)', 'no guard', '-', 'no', 'New checkout'])
    expect(row2?.split(/\s{2,}/).slice(0, 3)).toEqual(['checkout-v2', 'production', 'off'])
    // Aligned: every column starts at the same offset on each line.
    expect(row?.indexOf('off')).toBe(header?.indexOf('STATE'))

    const json = await canary('flags', 'list', '--json')
    expect(json.code).toBe(0)
    const body = JSON.parse(json.stdout)
    expect(body.items).toEqual([
      expect.objectContaining({
        key: 'checkout-v2',
        description: 'New checkout',
        tags: ['web', 'beta'],
      }),
    ])
  })

  it('turns the flag on in one environment only', { timeout: SLOW }, async () => {
    const on = await canary('flags', 'on', 'checkout-v2', '--env', 'production')
    expect(on.code).toBe(0)
    expect(on.stdout).toMatch(/^checkout-v2 is on in production \(version \d+\)$/m)

    const state = async (env: string) =>
      JSON.parse((await canary('flags', 'list', '--env', env, '--json')).stdout).items[0].environments[env]
    expect((await state('production')).enabled).toBe(true)
    expect((await state('development')).enabled).toBe(false)
  })

  it("sets a cohort's rollout and shows it", { timeout: SLOW }, async () => {
    const response = await fetch(`${url}/api/v1/environments/production/flags/checkout-v2`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cohorts: [{ name: 'everyone', conditions: [], rollout: 1 }] }),
    })
    expect(response.status).toBe(200)

    const rollout = await canary(
      ...['flags', 'rollout', 'checkout-v2', '--env', 'production'],
      ...['--cohort', 'everyone', '--percent', '25'],
    )
    expect(rollout.code).toBe(0)
    expect(rollout.stdout).toContain('checkout-v2 in production: cohort everyone at 25%')

    const state = await (
      await fetch(`${url}/api/v1/environments/production/flags/checkout-v2`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      })
    ).json()
    expect(state.cohorts).toEqual([{ name: 'everyone', conditions: [], rollout: 25 }])

    const show = await canary('flags', 'show', 'checkout-v2', '--env', 'production')
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/^state:\s+on$/m)
    expect(show.stdout).toMatch(/^everyone\s+25%\s+everyone$/m)
  })

  it('turns the flag off again (the kill switch)', { timeout: SLOW }, async () => {
    const off = await canary('flags', 'off', 'checkout-v2', '--env', 'production')
    expect(off.code).toBe(0)
    expect(off.stdout).toMatch(/^checkout-v2 is off in production \(version \d+\)$/m)
    const list = await canary('flags', 'list', '--env', 'production')
    expect(list.stdout).toMatch(/^checkout-v2\s+production\s+off\s+everyone: 25% of all users\s+no guard\s+-\s+no/m)
  })

  it('the kill switch twice: the second says already off, exits 0 and writes no audit entry', { timeout: SLOW }, async () => {
    const audit = async () => JSON.parse((await canary('audit', '--flag', 'checkout-v2', '--json')).stdout)
    const before = await audit()
    const again = await canary('flags', 'off', 'checkout-v2', '--env', 'production')
    expect(again).toMatchObject({ code: 0, stderr: '' })
    expect(again.stdout.trim()).toMatch(/^checkout-v2 is already off in production \(version \d+\): nothing changed$/)
    const json = await canary('flags', 'off', 'checkout-v2', '--env', 'production', '--json')
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ enabled: false, changed: false })
    expect(await audit()).toEqual(before)
  })

  it('lists one environment only with --env, as a table and as JSON', { timeout: SLOW }, async () => {
    const json = await canary('flags', 'list', '--env', 'production', '--json')
    expect(json.code).toBe(0)
    const items: Array<{ key: string; environments: Record<string, unknown> }> = JSON.parse(json.stdout).items
    expect(items.map((f) => f.key)).toEqual(['checkout-v2'])
    for (const flag of items) expect(Object.keys(flag.environments)).toEqual(['production'])
    const table = await canary('flags', 'list', '--env', 'production')
    expect(table.stdout).not.toMatch(/development/)
  })

  it('names the environments that exist when --env has a typo', { timeout: SLOW }, async () => {
    const expected = 'error: environment prod not found; environments: development, production'
    for (const args of [['flags', 'list', '--env', 'prod'], ['flags', 'list', '--env', 'prod', '--json']]) {
      const result = await canary(...args)
      expect(result).toMatchObject({ code: 1, stdout: '' })
      expect(result.stderr.trim()).toBe(expected)
    }
    const off = await canary('flags', 'off', 'checkout-v2', '--env', 'prod')
    expect(off.code).toBe(1)
    expect(off.stderr.trim()).toBe('error: 404 Not Found: environment prod not found; environments: development, production')
  })

  it('reports an unknown flag with the 404 and the server message', { timeout: SLOW }, async () => {
    const result = await canary('flags', 'show', 'no-such-flag')
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim()).toBe('error: 404 Not Found: flag no-such-flag not found')
  })

  it('reports a rollout the server refuses, without a stack trace', { timeout: SLOW }, async () => {
    const result = await canary(
      ...['flags', 'rollout', 'checkout-v2', '--env', 'production'],
      ...['--cohort', 'nobody', '--percent', '5'],
    )
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe(
      'error: 404 Not Found: cohort nobody of flag checkout-v2 in production not found',
    )
  })

  it('refuses a missing --env before calling the server', { timeout: SLOW }, async () => {
    const result = await canary('flags', 'on', 'checkout-v2')
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe(
      'error: missing --env <environment> (see: canary flags on --help)',
    )
  })
})

describe('canary keys', () => {
  it('creates a server key, shows its secret once, revokes it', { timeout: SLOW }, async () => {
    const created = await canary(
      ...['keys', 'create', '--name', 'checkout-service'],
      ...['--kind', 'server', '--env', 'production'],
    )
    expect(created.code).toBe(0)
    const secret = created.stdout.match(/^secret: (cf_server_\S+)$/m)?.[1]
    const id = created.stdout.match(/\(id ([^)]+)\)/)?.[1]
    expect(secret).toBeDefined()
    expect(id).toBeDefined()

    // The new key works for what a server key may do.
    const evaluated = await fetch(`${url}/api/v1/environments/production/evaluate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ flag: 'checkout-v2', user: { userId: 'u1' } }),
    })
    expect(evaluated.status).toBe(200)

    const list = await canary('keys', 'list')
    expect(list.code).toBe(0)
    expect(list.stdout).not.toContain(secret)
    const row = new RegExp(`^${id}\\s+checkout-service\\s+server\\s+production\\s.*active$`, 'm')
    expect(list.stdout).toMatch(row)

    const listJson = await canary('keys', 'list', '--json')
    expect(listJson.stdout).not.toContain(secret)

    const revoked = await canary('keys', 'revoke', id!)
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain(`revoked server key checkout-service (id ${id})`)
    const after = await canary('keys', 'list')
    expect(after.stdout).toMatch(new RegExp(`^${id}\\s.*revoked `, 'm'))
  })
})

describe('canary errors', () => {
  it('reports a wrong key as a 401 with exit code 1', { timeout: SLOW }, async () => {
    const result = await runMain(['flags', 'list'], { CANARY_URL: url, CANARY_KEY: 'wrong-key' })
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe(
      'error: 401 Unauthorized: invalid or revoked API key; a lost admin key is replaced offline with ' +
        'canary keys create --kind admin --db <database file> (README "Lost admin key")',
    )
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('says how to pass a key when there is none', { timeout: SLOW }, async () => {
    const result = await runMain(['flags', 'list'], { CANARY_URL: url })
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe('error: no API key: pass --key, set CANARY_KEY, or sign in with canary login')
  })

  it('names the URL it cannot reach', { timeout: SLOW }, async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`
    const result = await runMain(['flags', 'list', '--url', dead], { CANARY_KEY: ADMIN_KEY })
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toMatch(new RegExp(`^error: cannot reach ${dead}: .*ECONNREFUSED`))
  })

  it('prints usage for --help (exit 0) and for no arguments (on stderr, exit 2)', { timeout: SLOW }, async () => {
    const none = await runMain([], {})
    expect(none.code).toBe(2)
    expect(none.stdout).toBe('')
    expect(none.stderr).toContain('usage: canary <command>')
    expect(none.stderr).toContain('canary cohorts add')
    const group = await runMain(['cohorts'], {})
    expect(group.code).toBe(2)
    expect(group.stderr).toContain('canary cohorts remove')
    const help = await runMain(['flags', 'rollout', '--help'], {})
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('canary flags rollout <key> --env E --cohort NAME --percent P')
  })

  it('the real binary: no arguments exits 2 with usage, and a command runs against the server', { timeout: SLOW }, async () => {
    const none = await runCli([], {})
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('usage: canary <command>')
    const list = await runCli(['flags', 'list', '--env', 'production', '--json'], env)
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).items.length).toBeGreaterThan(0)
  })

  it('rejects an unknown command with exit code 1', { timeout: SLOW }, async () => {
    const result = await runMain(['flgas', 'list'], {})
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe('error: unknown command flgas (see: canary --help)')
  })
})
