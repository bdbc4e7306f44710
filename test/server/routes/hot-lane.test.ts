import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttp } from '../../../server/app.ts'
import { jsonAnswer, type HotRoute } from '../../../server/exchange/hot-route.ts'
import { hotLane } from '../../../server/node-http/hot-lane.ts'
import { httpObservations } from '../../../server/observability/http-observer.ts'
import { createMetrics } from '../../../server/observability/metrics.ts'
import { OFREP_MAX_BODY_BYTES } from '../../../server/ofrep/evaluate-routes.ts'
import { MAX_BODY_BYTES } from '../../../server/hot-routes.ts'
import { ADMIN_KEY, makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * The hot lane (server/node-http/hot-lane.ts) answers the hot routes in front of hono, through
 * the handlers the app mounts. Every request here is sent twice over real HTTP to one server:
 * once as the lane takes it, once with a query character it leaves to hono (`%`; no hot route
 * reads the query). Both answers must be the same: status, headers and body (the event-stream
 * token, fresh per answer, aside), and both doors must count the same requests in the metrics.
 */
let s: Stack
let server: Server
let base = ''
let taken = 0
let metrics: ReturnType<typeof createMetrics>
let gate: ReturnType<typeof createHttp>['authFailures']
const keys: Record<string, string> = {}

beforeAll(async () => {
  s = await makeStack()
  metrics = createMetrics()
  const observations = httpObservations({ logger: pino({ level: 'silent' }), metrics })
  const { app, hotRoutes, authFailures } = createHttp({ ...s, log: () => {}, observe: observations.middleware })
  gate = authFailures
  const take = hotLane({ routes: hotRoutes, authFailures, observe: observations.record, log: () => {} })
  const hono = getRequestListener(app.fetch)
  server = createServer((req, res) => {
    if (take(req, res)) taken++
    else void hono(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const mk = async (kind: string, environment: string | null) =>
    (await s.call('POST', '/api/v1/keys', { body: { name: `${kind}-${environment}`, kind, environment } })).json.secret as string
  keys.server = await mk('server', 'production')
  keys.client = await mk('client', 'production')
  keys.devServer = await mk('server', 'development')
  await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
  await s.call('POST', '/api/v1/flags', { body: { key: 'public-banner', clientSide: true } })
  await s.call('PATCH', '/api/v1/environments/production/flags/checkout-v2', {
    body: { enabled: true, cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 50 }] },
  })
  await s.call('PATCH', '/api/v1/environments/production/flags/public-banner', { body: { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 100 }] } })
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await s.close()
})

interface Case {
  method?: 'GET' | 'POST'
  path: string
  key?: string
  body?: string
  headers?: Record<string, string>
}

/** Headers that say when and how the connection went, not what was answered. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive'])

async function send(c: Case, door: 'lane' | 'hono') {
  const before = taken
  const headers: Record<string, string> = { 'content-type': 'application/json', ...c.headers }
  if (c.key) headers.authorization = `Bearer ${c.key}`
  const method = c.method ?? 'POST'
  const res = await fetch(base + c.path + (door === 'hono' ? '?door=%68ono' : ''), { method, headers, body: method === 'GET' ? undefined : (c.body ?? '') })
  const body = (await res.text()).replace(/token=[\w.-]+/g, 'token=T')
  expect(taken - before, `${door} door took ${c.path}`).toBe(door === 'lane' ? 1 : 0)
  const kept: Array<[string, string]> = []
  res.headers.forEach((value, name) => void (TRANSPORT.has(name) || kept.push([name, value])))
  kept.sort()
  return { status: res.status, headers: kept, body }
}

/** The same request through both doors: the same answer. */
async function same(c: Case) {
  const lane = await send(c, 'lane')
  const hono = await send(c, 'hono')
  expect(lane).toEqual(hono)
  return lane
}

const context = JSON.stringify({ context: { targetingKey: 'user-0042', region: 'eu-west' } })

describe('the hot lane answers the SDK routes as the app does', () => {
  it('OFREP bulk: the answer, its ETag and 304, and its refusals', async () => {
    const ok = await same({ path: '/ofrep/v1/evaluate/flags', key: keys.server, body: context })
    expect(ok.status).toBe(200)
    expect(ok.body).toContain('"eventStreams":[{"type":"sse","url":"http://127.0.0.1:')
    const etag = ok.headers.find(([name]) => name === 'etag')![1]
    expect((await same({ path: '/ofrep/v1/evaluate/flags', key: keys.server, body: context, headers: { 'if-none-match': etag } })).status).toBe(304)
    expect((await same({ path: '/ofrep/v1/evaluate/flags', key: keys.client, body: context })).body).not.toContain('checkout-v2')
    expect((await same({ path: '/ofrep/v1/evaluate/flags', key: keys.server, body: '{"context": [1]}' })).status).toBe(400)
    expect((await same({ path: '/ofrep/v1/evaluate/flags', key: keys.server, body: '{nope' })).body).toContain('PARSE_ERROR')
    expect((await same({ path: '/ofrep/v1/evaluate/flags', body: context })).status).toBe(401)
    expect((await same({ path: '/ofrep/v1/evaluate/flags', key: 'not-a-key', body: context })).status).toBe(401)
    expect((await same({ path: '/ofrep/v1/evaluate/flags', key: ADMIN_KEY, body: context })).status).toBe(403)
    const tooLarge = await same({ path: '/ofrep/v1/evaluate/flags', key: keys.server, body: JSON.stringify({ context: { pad: 'x'.repeat(OFREP_MAX_BODY_BYTES) } }) })
    expect(tooLarge.status).toBe(400)
    expect(tooLarge.body).toContain(`larger than ${OFREP_MAX_BODY_BYTES} bytes`)
  })

  it('OFREP single: a flag, a missing one, a bad context', async () => {
    expect((await same({ path: '/ofrep/v1/evaluate/flags/checkout-v2', key: keys.server, body: context })).status).toBe(200)
    expect((await same({ path: '/ofrep/v1/evaluate/flags/nope', key: keys.server, body: context })).status).toBe(404)
    expect((await same({ path: '/ofrep/v1/evaluate/flags/checkout-v2', key: keys.client, body: context })).status).toBe(404)
    const bad = await same({ path: '/ofrep/v1/evaluate/flags/checkout-v2', key: keys.server, body: '{"context":{"targetingKey":7}}' })
    expect(bad.body).toContain('INVALID_CONTEXT')
  })

  it('POST …/evaluate: server and client keys, another environment, bad and large bodies', async () => {
    const evaluate = (body: unknown, key = keys.server) => same({ path: '/api/v1/environments/production/evaluate', key, body: JSON.stringify(body) })
    const user = { userId: 'user-0042', region: 'eu-west' }
    const ok = await evaluate({ flag: 'checkout-v2', user })
    expect(ok.status).toBe(200)
    expect(ok.headers).toContainEqual(['x-content-type-options', 'nosniff'])
    expect(ok.headers).toContainEqual(['access-control-allow-origin', '*'])
    expect((await evaluate({ flag: 'public-banner', user }, keys.client)).status).toBe(200)
    expect((await evaluate({ flag: 'checkout-v2', user }, keys.devServer)).status).toBe(403)
    expect((await evaluate({ flag: 'checkout-v2' })).body).toContain('user')
    expect((await evaluate({ flag: 'checkout-v2', user: { pad: 'x'.repeat(MAX_BODY_BYTES) } })).status).toBe(413)
  })

  it('POST /api/v1/metrics: a batch, a refused one, a client key without its user', async () => {
    const batch = (id: string) => JSON.stringify({ batch: { id, start: Date.now() - 5000, end: Date.now(), flags: { 'checkout-v2': [10, 0, 90, 1] } } })
    // Each door gets its own batch id (a resent one is a duplicate); the answers differ only there.
    const lane = await send({ path: '/api/v1/metrics', key: keys.server, body: batch('lane-1') }, 'lane')
    const hono = await send({ path: '/api/v1/metrics', key: keys.server, body: batch('hono-1') }, 'hono')
    expect(lane.status).toBe(200)
    expect({ ...lane, body: lane.body.replace('lane-1', 'ID') }).toEqual({ ...hono, body: hono.body.replace('hono-1', 'ID') })
    expect((await same({ path: '/api/v1/metrics', key: keys.server, body: '{"batch":{"id":""}}' })).status).toBe(400)
    expect((await same({ path: '/api/v1/metrics', key: keys.client, body: batch('client-1') })).body).toContain('user: required')
  })

  it('both doors count their requests under the same route patterns', async () => {
    const text = await metrics.render()
    const counts = [...text.matchAll(/http_request_duration_seconds_count\{method="POST",route="([^"]+)",status="(\d+)"\} (\d+)/g)]
    const sdk = counts.filter(([, route]) => route!.startsWith('/ofrep/') || route!.startsWith('/api/v1/environments/:env/evaluate') || route === '/api/v1/metrics')
    expect(sdk.length).toBeGreaterThan(5)
    // Every request above went through both doors once: each series counts an even number.
    for (const [line, , , count] of sdk) expect(Number(count) % 2, line).toBe(0)
  })
})

/** One HTTP/1.1 answer read off a raw socket: its status and JSON body (by Content-Length). */
function answerOn(socket: Socket): Promise<{ status: number; body: { key: string } }> {
  return new Promise((resolve, reject) => {
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      text += chunk
      const end = text.indexOf('\r\n\r\n')
      if (end === -1) return
      const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1])
      if (text.length - end - 4 < length) return
      resolve({ status: Number(text.slice(9, 12)), body: JSON.parse(text.slice(end + 4, end + 4 + length)) as { key: string } })
    })
    socket.on('error', reject)
  })
}

describe('the hot lane writes the answers of one event-loop turn together', () => {
  it('gives each request of a turn its own answer', async () => {
    // The server runs in this process: requests written on many connections in one tick are
    // all read in the server's next turn, and answered as one batch. Each answer must go to its
    // own request (each names the flag it was asked about).
    const { port } = server.address() as AddressInfo
    const flags = Array.from({ length: 24 }, (_, i) => (i % 4 === 0 ? 'checkout-v2' : `missing-${i}`))
    // Every connection accepted by the server first (an observable event), so that each is
    // being read when the requests are written.
    let accepted = 0
    const allAccepted = new Promise<void>((resolve) => {
      const onConnection = () => {
        if (++accepted < flags.length) return
        server.off('connection', onConnection)
        resolve()
      }
      server.on('connection', onConnection)
    })
    const sockets = await Promise.all(flags.map(() => new Promise<Socket>((resolve) => { const socket = connect(port, '127.0.0.1', () => resolve(socket)) })))
    await allAccepted
    const answers = sockets.map(answerOn)
    const before = taken
    sockets.forEach((socket, i) =>
      socket.write(
        `POST /ofrep/v1/evaluate/flags/${flags[i]} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${keys.server}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(context)}\r\n\r\n${context}`,
      ),
    )
    const got = await Promise.all(answers)
    for (const socket of sockets) socket.destroy()
    expect(taken - before).toBe(flags.length)
    got.forEach((answer, i) => {
      expect(answer.body.key).toBe(flags[i])
      expect(answer.status).toBe(flags[i] === 'checkout-v2' ? 200 : 404)
    })
  })

  it('logs an answer that cannot be written and closes its connection; other answers are still written', async () => {
    // A route whose answer Node refuses to write (a header with a line break).
    const route = (path: string, headers: Record<string, string>): HotRoute => ({
      method: 'GET',
      pattern: path,
      match: new RegExp(`^${path}$`),
      maxBodyBytes: 0,
      tooLarge: () => jsonAnswer(413, {}),
      headers: {},
      onError: () => jsonAnswer(500, {}),
      handle: () => Promise.resolve(jsonAnswer(200, { path }, headers)),
    })
    const logged: string[] = []
    const take = hotLane({ routes: [route('/bad', { 'X-Bad': 'a\nb' }), route('/good', {})], authFailures: gate, observe: () => {}, log: (message) => logged.push(message) })
    const lane = createServer((req, res) => void take(req, res))
    await new Promise<void>((resolve) => lane.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(lane.address() as AddressInfo).port}`
    try {
      const [bad, good] = await Promise.allSettled([fetch(`${url}/bad`), fetch(`${url}/good`).then((res) => res.json())])
      expect(bad.status).toBe('rejected')
      expect(good).toEqual({ status: 'fulfilled', value: { path: '/good' } })
      expect(logged).toEqual(['an answer could not be written'])
    } finally {
      lane.closeAllConnections()
      await new Promise<void>((resolve) => lane.close(() => resolve()))
    }
  })
})

describe('the hot lane serves the admin read of one flag state as the app does', () => {
  const read = (path: string, key?: string) => same({ method: 'GET', path, ...(key === undefined ? {} : { key }) })
  it('with its ETag, for keys that may read the environment; refused otherwise', async () => {
    const ok = await read('/api/v1/environments/production/flags/checkout-v2', ADMIN_KEY)
    expect(ok.status).toBe(200)
    expect(ok.headers.find(([name]) => name === 'etag')?.[1]).toMatch(/^"\d+"$/)
    expect(ok.headers).toContainEqual(['cache-control', 'no-store'])
    expect(ok.headers.find(([name]) => name === 'access-control-allow-origin')).toBeUndefined()
    expect((await read('/api/v1/environments/production/flags/nope', ADMIN_KEY)).status).toBe(404)
    expect((await read('/api/v1/environments/nowhere/flags/checkout-v2', ADMIN_KEY)).status).toBe(404)
    expect((await read('/api/v1/environments/production/flags/checkout-v2')).status).toBe(401)
    expect((await read('/api/v1/environments/production/flags/checkout-v2', keys.devServer)).status).toBe(403)
  })
})

describe('the hot lane throttles failed authentication like the app', () => {
  it('answers 429 with Retry-After once an address has spent its failures, and still serves a valid key', async () => {
    let status = 0
    let retryAfter: string | null = null
    for (let i = 0; i < 1000 && status !== 429; i++) {
      const res = await fetch(`${base}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { authorization: 'Bearer wrong-key' }, body: context })
      status = res.status
      retryAfter = res.headers.get('retry-after')
      await res.arrayBuffer()
    }
    expect(status).toBe(429)
    expect(Number(retryAfter)).toBeGreaterThan(0)
    const valid = await fetch(`${base}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { authorization: `Bearer ${keys.server}` }, body: context })
    expect(valid.status).toBe(200)
  })
})
