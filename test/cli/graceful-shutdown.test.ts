import { connect } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createClient } from '../../sdk/index.ts'
import { call, startServerProcess, type ServerProcess } from './server-process.ts'

const SLOW = 90_000
let dir: string
const servers: ServerProcess[] = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'canary-drain-'))
})
afterAll(async () => {
  for (const server of servers) {
    server.child.kill('SIGKILL')
    await server.exited
  }
  rmSync(dir, { recursive: true, force: true })
})

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 20_000) => {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Exposures of both arms the server has stored for a flag (the guard's minutes, flushed). */
async function storedExposures(server: ServerProcess, key: string, flag: string): Promise<number> {
  const { json } = await call(server.url, key, 'GET', `/api/v1/environments/production/flags/${flag}/metrics?hours=1`)
  return (json.minutes as Array<{ canaryExposures: number; controlExposures: number }>).reduce(
    (sum, m) => sum + m.canaryExposures + m.controlExposures,
    0,
  )
}

describe('graceful shutdown (SIGTERM)', () => {
  it('tells SDKs to reconnect (1012), and they resume on the successor with no change or count lost', { timeout: SLOW }, async () => {
    const db = join(dir, 'drain.db')
    const first = await startServerProcess(db, { newDatabase: true })
    servers.push(first)
    const admin = first.adminKey!
    expect((await call(first.url, admin, 'POST', '/api/v1/flags', { key: 'drain' })).status).toBe(201)
    const half = { enabled: true, cohorts: [{ name: 'half', conditions: [], rollout: 50 }] }
    expect((await call(first.url, admin, 'PATCH', '/api/v1/environments/production/flags/drain', half)).status).toBe(200)
    const sdkKey = (await call(first.url, admin, 'POST', '/api/v1/keys', { name: 'svc', kind: 'server', environment: 'production' })).json.secret as string

    // A raw socket sees the close code itself.
    const raw = new WebSocket(`${first.url.replace('http', 'ws')}/api/v1/stream`, { headers: { authorization: `Bearer ${sdkKey}` } })
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      raw.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    )
    await new Promise((resolve, reject) => raw.once('open', resolve).once('error', reject))

    // Counts are sent rarely, so most of them are still in the SDK when the server goes.
    const flags = createClient({ url: first.url, key: sdkKey, logger: {}, flushIntervalMs: 60_000 })
    let disconnected = 0
    flags.on('disconnected', () => disconnected++)
    await flags.ready({ timeoutMs: 10_000 })
    let changed = 0
    flags.on('change', () => changed++)
    const users = Array.from({ length: 200 }, (_, i) => ({ userId: `user-${i}` }))
    // Only isEnabled is used: it is what counts exposures.
    const answers = users.map((user) => flags.isEnabled('drain', user))
    expect(answers.filter(Boolean).length).toBeGreaterThan(50)

    first.child.kill('SIGTERM')
    // 1012 with the window the SDKs spread their reconnects over (a few SDKs: the 1 s default).
    expect(await closed).toEqual({ code: 1012, reason: 'server restarting: reconnect within 1000 ms' })
    expect(await first.exited).toBe(0)
    expect(first.output()).toMatch(/shut down cleanly/)
    await until('the SDK to notice', () => disconnected === 1)
    // While disconnected it answers from the last state it knew (one more exposure counted).
    expect(flags.isEnabled('drain', users[1]!)).toBe(answers[1])
    const counted = users.length + 1

    // Its successor on the same port and database.
    const second = await startServerProcess(db, { port: first.port })
    servers.push(second)
    const off = { enabled: false }
    expect((await call(second.url, admin, 'PATCH', '/api/v1/environments/production/flags/drain', off)).status).toBe(200)
    await until('the SDK to hear the change from the successor', () => changed > 0)
    expect(users.some((user) => flags.isEnabled('drain', user))).toBe(false) // off: not counted

    await flags.close() // sends what it still holds
    await until('every exposure to be stored', async () => (await storedExposures(second, admin, 'drain')) >= counted)
    expect(await storedExposures(second, admin, 'drain')).toBe(counted)
    raw.terminate()
  })

  it('exits at once on a second signal while draining', { timeout: SLOW }, async () => {
    const server = await startServerProcess(join(dir, 'second.db'), { newDatabase: true })
    servers.push(server)
    const admin = server.adminKey!
    // A peer that completes the upgrade and then never answers the close handshake keeps the
    // drain waiting for it.
    const socket = connect(server.port, '127.0.0.1')
    socket.write(
      'GET /api/v1/stream?env=production HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${admin}\r\n\r\n`,
    )
    let received = ''
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
    socket.on('error', () => {}) // the server ends it at exit
    await until('the upgrade', () => received.startsWith('HTTP/1.1 101'))

    server.child.kill('SIGTERM')
    await until('the drain to start', () => /shutting down/.test(server.output()))
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(130)
    expect(server.output()).toMatch(/second signal: exiting at once/)
    expect(server.output()).not.toMatch(/shut down cleanly/)
    socket.destroy()
  })
})
