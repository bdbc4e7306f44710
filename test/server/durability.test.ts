import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, cleanEnv, waitForOutput } from '../cli/run-cli.ts'

const ADMIN = 'durability-admin-key-0123456789ab'
const children: ChildProcess[] = []
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')))

/** `canary serve` as a real process on a free port; resolves with its URL once it listens. */
async function serve(db: string) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--db', db], {
    env: cleanEnv({ CANARY_ADMIN_KEY: ADMIN }),
  })
  children.push(child)
  const [, url] = await waitForOutput(child, /listening on (\S+)/)
  return { child, url: url! }
}

async function api(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: await res.json() }
}

describe('durability', () => {
  it('keeps a change acknowledged just before kill -9, with its audit row and version', { timeout: 60_000 }, async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'cf-durable-')), 'canary.db')
    const first = await serve(db)
    await api(first.url, 'POST', '/api/v1/flags', { key: 'checkout-v2' })
    const written = await api(first.url, 'PATCH', '/api/v1/environments/production/flags/checkout-v2', {
      enabled: true,
      cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 10 }],
    })
    expect(written.status).toBe(200)
    // No graceful shutdown: the process dies the moment the API has answered.
    first.child.kill('SIGKILL')
    await new Promise((resolve) => first.child.once('exit', resolve))

    const second = await serve(db)
    const state = await api(second.url, 'GET', '/api/v1/environments/production/flags/checkout-v2')
    expect(state.json).toMatchObject({ enabled: true, version: written.json.version, cohorts: [{ name: 'eu', rollout: 10 }] })
    const audit = await api(second.url, 'GET', '/api/v1/audit?flag=checkout-v2&env=production&limit=1')
    expect(audit.json.items[0]).toMatchObject({ action: 'flag.cohorts', version: written.json.version })
    const envs = await api(second.url, 'GET', '/api/v1/environments')
    expect(envs.json.items.find((e: { key: string }) => e.key === 'production').version).toBe(written.json.version)
  })
})
