import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startTestServer, type TestServer } from '../../helpers/server.ts'

/** Client keys over a real socket: what the raw frames carry, rate limits, and refusal bodies. */
let server: TestServer
let clientKey: string
const sockets: WebSocket[] = []

beforeEach(async () => {
  server = await startTestServer({ clientLimits: { identitiesPerConnectionPerMinute: 5, connectionsPerAddressPerMinute: 8 } })
  clientKey = await server.createKey('client', 'production')
  await server.api('POST', '/api/v1/environments/production/segments', { key: 'staff', userIds: ['planted-1', 'planted-2'] })
  for (const [key, clientSide] of [['checkout', true], ['secret-acquisition-2027', false]] as const) {
    await server.api('POST', '/api/v1/flags', { key, clientSide })
    await server.api('PATCH', `/api/v1/environments/production/flags/${key}`, {
      enabled: true,
      cohorts: [
        { name: 'cohort-staff', conditions: [{ segment: 'staff' }], rollout: 100 },
        { name: 'cohort-beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['planted-3'] }], rollout: 100 },
        { name: 'cohort-eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu'] }], rollout: 50 },
      ],
    })
  }
})
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate()
  await server.close()
})

function connect(key: string, query = '') {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream${query}`, 'canary-flags.v1', {
    headers: { authorization: `Bearer ${key}` },
  })
  sockets.push(socket)
  const frames: string[] = []
  socket.on('message', (data) => frames.push(data.toString()))
  socket.on('error', () => {})
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body) })))
    })
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  const send = (message: unknown) => socket.send(JSON.stringify(message))
  /** Waits (deadline 5 s) until `count` frames arrived. */
  async function frameCount(count: number) {
    const deadline = Date.now() + 5000
    while (frames.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} frames, got ${JSON.stringify(frames)}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return frames.map((f) => JSON.parse(f))
  }
  return { socket, frames, opened, closed, send, frameCount }
}

describe('client-key frames', () => {
  it('carry generic reasons for client-visible flags only, never a cohort or segment name', async () => {
    const c = connect(clientKey)
    await c.opened
    const users = ['planted-1', 'planted-3', 'nobody'].map((userId) => ({ userId, region: 'eu' }))
    c.send({ type: 'hello', sdk: 'raw/1', user: users[0] })
    for (const user of users.slice(1)) c.send({ type: 'identify', user })
    const messages = await c.frameCount(3)
    expect(messages.map((m) => m.results)).toEqual([
      { checkout: { enabled: true, reason: 'TARGETING_MATCH' } },
      { checkout: { enabled: true, reason: 'TARGETING_MATCH' } },
      { checkout: expect.objectContaining({ reason: expect.stringMatching(/^(SPLIT|DEFAULT)$/) }) },
    ])
    // Hiding the flag removes it; the frames never named a cohort, a segment or the hidden flag.
    expect((await server.api('PATCH', '/api/v1/flags/checkout', { clientSide: false })).status).toBe(200)
    const [, , , hidden] = await c.frameCount(4)
    expect(hidden.results).toEqual({ checkout: null })
    const raw = c.frames.join('\n')
    for (const leak of ['cohort', 'staff', 'beta', 'planted-2', 'secret-acquisition-2027', 'segment', '"eu"'])
      expect(raw).not.toContain(leak)
  })
})

describe('client-key rate limits', () => {
  it('closes a connection with 4429 after the identities budget, and refuses the next connections with 429', async () => {
    const c = connect(clientKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'raw/1', user: { userId: 'guess-0' } })
    for (let i = 1; i < 10; i++) c.send({ type: 'identify', user: { userId: `guess-${i}` } })
    const closed = await c.closed
    expect(closed).toEqual({ code: 4429, reason: 'too many identities: at most 5 a minute per connection' })
    expect(c.frames).toHaveLength(5)
    // 1 connection so far; the address may open 8 a minute.
    const more = Array.from({ length: 7 }, () => connect(clientKey))
    await Promise.all(more.map((m) => m.opened))
    const refused = await connect(clientKey).opened.catch((error) => error)
    expect(refused.status).toBe(429)
    expect(refused.body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/at most 8 a minute$/) })
    // A server key is not a public key: it is not limited per address.
    const serverSdk = connect(await server.createKey('server', 'production'))
    await serverSdk.opened
  })
})

describe('the upgrade refuses with the same bodies as HTTP', () => {
  it.each([
    ['401 (unknown key)', 'cf_client_unknown', '', 'GET', '/api/v1/environments/production/flags', 401],
    ['403 (another environment)', 'PROD_ADMIN', '?env=development', 'GET', '/api/v1/environments/development/flags', 403],
    ['404 (unknown environment)', 'GLOBAL', '?env=moon', 'GET', '/api/v1/environments/moon/flags', 404],
  ])('%s', async (_name, keyName, query, method, path, status) => {
    const prodAdmin = (await server.api('POST', '/api/v1/keys', { name: 'p', kind: 'admin', environment: 'production' })).json.secret
    const key = keyName === 'PROD_ADMIN' ? prodAdmin : keyName === 'GLOBAL' ? server.adminKey : keyName
    const upgrade = await connect(key, query).opened.catch((error) => error)
    const http = await server.api(method, path, undefined, key)
    expect(upgrade.status).toBe(status)
    expect(http.status).toBe(status)
    expect(upgrade.body).toEqual(http.json)
  })

  it('404 for another path, as HTTP answers an unknown route', async () => {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/nowhere`, { headers: { authorization: `Bearer ${server.adminKey}` } })
    sockets.push(socket)
    socket.on('error', () => {})
    const body = await new Promise<any>((resolve) =>
      socket.once('unexpected-response', (_req, res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }))
      }),
    )
    expect(body).toEqual({ status: 404, json: (await server.api('GET', '/api/v1/nowhere')).json })
    expect(body.json.error.code).toBe('not_found')
  })
})
