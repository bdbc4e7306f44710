import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../../server/main.ts'
import { rawSocket } from '../../helpers/raw-socket.ts'
import { call } from '../../helpers/call-api.ts'

/**
 * The attacks on the guard's evidence over the WebSocket, against a real server with its real
 * once-a-second guard tick: the same validation as HTTP, refused batches changing nothing and
 * leaving the socket up, and a client key weighing one user.
 */
const ADMIN = 'evidence-stream-admin-key-0123456789'
const FLAG = '/api/v1/environments/production/flags/checkout'
let server: RunningServer
let serverKey: string
let clientKey: string
const sockets: WebSocket[] = []
let batchNo = 0

const api = (method: string, path: string, body?: unknown, key = ADMIN) => call(server.url, key, method, path, body)

function connect(key: string) {
  const c = rawSocket(server.url, key)
  sockets.push(c.socket)
  return c
}

const batch = (flags: Record<string, unknown>) => ({ id: `ws-${++batchNo}`, start: 0, end: 1, flags })
const figures = async () => (await api('GET', `${FLAG}/guard`)).json.decision?.figures

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-evidence-'))
  server = await startServer(
    { port: 0, host: '127.0.0.1', databasePath: join(dir, 'db.sqlite'), adminKey: ADMIN, publicUrl: '' },
    { log: () => {} },
  )
  serverKey = (await api('POST', '/api/v1/keys', { name: 'svc', kind: 'server', environment: 'production' })).json.secret
  clientKey = (await api('POST', '/api/v1/keys', { name: 'web', kind: 'client', environment: 'production' })).json.secret
  await api('POST', '/api/v1/flags', { key: 'checkout', clientSide: true })
  await api('PATCH', FLAG, {
    enabled: true,
    cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 100 }],
  })
  await api('PUT', `${FLAG}/guard`, { maxErrorRate: 0.05 })
})

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate()
  await server.close()
})

describe('server-key batches over the WebSocket', () => {
  it('refuses malformed counts with an error in the acknowledgement, keeps the socket, changes nothing', async () => {
    const c = connect(serverKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'attacker' })
    const attacks: Array<[unknown, RegExp]> = [
      [[2 ** 53 - 1, 0, 0, 0], /batch\.flags\.checkout\.0/],
      [[1e308, 0, 0, 0], /batch\.flags\.checkout\.0/],
      [[1, 1_000_000, 0, 0], /batch\.flags\.checkout\.1: canary errors must not exceed canary exposures/],
      [[0.5, 0, 0, 0], /batch\.flags\.checkout\.0/],
    ]
    for (const [counts, message] of attacks) {
      const sent = batch({ checkout: counts })
      c.send({ type: 'metrics', batch: sent })
      const ack = await c.next((m) => m.type === 'metrics_ack' && m.id === sent.id)
      expect(ack.error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(message) })
    }
    const honest = batch({ checkout: [10, 0, 0, 0] })
    c.send({ type: 'metrics', batch: honest })
    expect(await c.next((m) => m.type === 'metrics_ack' && m.id === honest.id)).not.toHaveProperty('error')
    // Once the tick has fed the tests, only the honest batch is in them.
    await vi.waitFor(async () => expect((await figures()).seconds).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 100 })
    expect(await figures()).toMatchObject({ canaryExposures: 10, canaryErrors: 0 })
    expect(c.socket.readyState).toBe(c.socket.OPEN)
    const conn = (await api('GET', '/api/v1/connections')).json.items.find((i: any) => i.sdk === 'attacker')
    expect(conn.refusedBatches).toBe(4)
  })

  it('drops flags the environment does not have, counting them per connection, allocating nothing', async () => {
    const c = connect(serverKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'inventor' })
    const invented = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`invented-${i}`, [1, 0, 0, 0]]))
    const sent = batch(invented)
    c.send({ type: 'metrics', batch: sent })
    expect(await c.next((m) => m.type === 'metrics_ack' && m.id === sent.id)).not.toHaveProperty('error')
    const conn = (await api('GET', '/api/v1/connections')).json.items.find((i: any) => i.sdk === 'inventor')
    expect(conn.unknownFlags).toBe(5000)
    expect((await api('GET', '/api/v1/environments/production/flags/invented-1/guard')).status).toBe(404)
  })
})

describe('client-key batches over the WebSocket', () => {
  it('refuses a report before hello names the user', async () => {
    const c = connect(clientKey)
    await c.opened
    const sent = batch({ checkout: [500, 60, 0, 0] })
    c.send({ type: 'metrics', batch: sent })
    const ack = await c.next((m) => m.type === 'metrics_ack' && m.id === sent.id)
    expect(ack.error.message).toMatch(/^user: /)
  })

  it('weighs one user: a flood of failures beside healthy back-end traffic neither trips nor moves more than a user', async () => {
    const opened = Date.now()
    const c = connect(clientKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'browser', user: { userId: 'mallory', region: 'eu-west' } })
    await c.next((m) => m.type === 'results')
    let serverExposures = 0
    for (let i = 0; i < 12; i++) {
      // Back end: 200 requests at 1% errors per 250 ms. Browser: "500 requests, 60 errors".
      await api('POST', '/api/v1/metrics', { batch: batch({ checkout: [200, 2, 0, 0] }) }, serverKey)
      serverExposures += 200
      const sent = batch({ checkout: [500, 60, 0, 0] })
      c.send({ type: 'metrics', batch: sent })
      await c.next((m) => m.type === 'metrics_ack' && m.id === sent.id)
      await new Promise((r) => setTimeout(r, 250))
    }
    await vi.waitFor(async () => expect((await figures()).canaryExposures).toBeGreaterThanOrEqual(serverExposures), {
      timeout: 5000,
      interval: 100,
    })
    const elapsedSeconds = (Date.now() - opened) / 1000
    const f = await figures()
    expect(f.canaryExposures - serverExposures).toBeLessThanOrEqual(elapsedSeconds)
    expect(f.canaryErrors - serverExposures / 100).toBeLessThanOrEqual(elapsedSeconds)
    expect((await api('GET', FLAG)).json.enabled).toBe(true)
  })
})
