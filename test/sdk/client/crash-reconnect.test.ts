import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createBackoff } from '../../../sdk/core/backoff.ts'
import { createFlagClient } from '../../../sdk/client/client.ts'
import { createConnection } from '../../../sdk/client/connection.ts'
import { openNodeSocket } from '../../../sdk/client/node-socket.ts'
import { createRulesMode } from '../../../sdk/client/rules-mode.ts'
import type { FlagClient } from '../../../sdk/index.ts'
import { BIN, cleanEnv, waitForOutput } from '../../cli/run-cli.ts'

/**
 * A server killed with -9 (no close code reaches the SDK) and started again by its supervisor:
 * the SDK, whose connection had been healthy, takes the restart schedule (one attempt per
 * spread) instead of its ordinary backoff, which here is ten minutes per attempt, so an SDK that
 * fell back on it never comes back within the deadline. Only observable events are awaited.
 */
const TEN_MINUTES = 600_000
const ADMIN = 'crash-reconnect-admin-key-0123456789'
const directory = mkdtempSync(join(tmpdir(), 'cf-crash-'))
const db = join(directory, 'canary.db')
const children: ChildProcess[] = []
let client: FlagClient | undefined
afterAll(async () => {
  await client?.close()
  children.forEach((child) => child.kill('SIGKILL'))
  rmSync(directory, { recursive: true, force: true })
})

async function serve(port: number) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', db], {
    env: cleanEnv({ CANARY_ADMIN_KEY: ADMIN }),
  })
  children.push(child)
  const [, url] = await waitForOutput(child, /listening on (\S+)/)
  return { child, url: url! }
}

async function api(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', connection: 'close' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, json: await response.json() }
}

describe('SDK reconnection after the server is killed', () => {
  it('is back in sync with the restarted process without its ordinary backoff', async () => {
    const first = await serve(0)
    const port = Number(new URL(first.url).port)
    expect((await api(first.url, 'POST', '/api/v1/flags', { key: 'crash-prompt' })).status).toBe(201)
    const on = { enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 100 }] }
    expect((await api(first.url, 'PATCH', '/api/v1/environments/development/flags/crash-prompt', on)).status).toBe(200)
    const key = (await api(first.url, 'POST', '/api/v1/keys', { name: 'svc', kind: 'server', environment: 'development' })).json.secret as string

    let disconnected = 0
    client = createFlagClient({
      mode: createRulesMode(),
      sdkName: 'crash-test',
      logger: {},
      connect: (handlers) =>
        createConnection({
          url: `${first.url.replace(/^http/, 'ws')}/api/v1/stream`,
          key,
          openSocket: openNodeSocket,
          // Ordinary failures wait ten minutes (random = 1: the ceiling); any uptime is healthy.
          backoff: createBackoff({ baseMs: TEN_MINUTES, capMs: TEN_MINUTES, resetAfterMs: 0, restartSpreadMs: 200, random: () => 1 }),
          now: Date.now,
          handlers,
        }),
    })
    client.on('disconnected', () => disconnected++)
    await client.ready({ timeoutMs: 10_000 })
    expect(client.isEnabled('crash-prompt', { userId: 'u1' })).toBe(true)

    first.child.kill('SIGKILL')
    await vi.waitFor(() => expect(disconnected).toBe(1), { timeout: 15_000, interval: 20 })
    const second = await serve(port)
    expect((await api(second.url, 'PATCH', '/api/v1/environments/development/flags/crash-prompt', { enabled: false })).status).toBe(200)
    await vi.waitFor(() => expect(client!.isEnabled('crash-prompt', { userId: 'u1' })).toBe(false), { timeout: 20_000, interval: 20 })
    expect(client.status).toBe('ready')
  }, 60_000)
})
