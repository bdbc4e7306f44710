import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../../helpers/server.ts'
import { STREAM_TICKET_TTL_MS } from '../../../server/auth/stream-tickets.ts'

/**
 * Finding 12: the console opens the stream with a single-use ticket instead of its key in the
 * URL. A real server, real WebSockets, and the server's clock moved by hand for expiry.
 */
let server: TestServer
let offset = 0
const clock = () => Date.now() + offset
const sockets: WebSocket[] = []

beforeAll(async () => {
  server = await startTestServer({ now: clock })
})
afterAll(async () => {
  for (const socket of sockets) socket.terminate()
  await server.close()
})

const ticketFor = async (environment: string, key: string | null = TEST_ADMIN_KEY) => server.api('POST', '/api/v1/stream-tickets', { environment }, key)

/** Opens a socket; resolves 'open' or the refusal's HTTP status and JSON message. */
function dial(options: { protocols: string[]; query: string }): Promise<{ opened: true } | { status: number; message: string }> {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?${options.query}`, options.protocols)
  sockets.push(socket)
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ opened: true }))
    socket.once('unexpected-response', (_request, response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, message: (JSON.parse(body) as { error: { message: string } }).error.message }))
    })
    socket.once('error', reject)
  })
}
const withTicket = (ticket: string, env = 'production') => dial({ protocols: ['canary-flags.v1', `ticket.${ticket}`], query: `env=${env}` })

describe('stream tickets', () => {
  it('issues a 30 s ticket for an admin key and its environment', async () => {
    const before = clock()
    const res = await ticketFor('production')
    expect(res.status).toBe(201)
    expect(res.json.environment).toBe('production')
    expect(res.json.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(res.json.expiresAt).toBeGreaterThanOrEqual(before + STREAM_TICKET_TTL_MS)
    expect(STREAM_TICKET_TTL_MS).toBe(30_000)
  })

  it('opens the stream once with a ticket; a second use is refused with 401', async () => {
    const { json } = await ticketFor('production')
    expect(await withTicket(json.ticket)).toEqual({ opened: true })
    expect(await withTicket(json.ticket)).toEqual({ status: 401, message: expect.stringMatching(/invalid, used or expired stream ticket/) })
  })

  it('refuses an expired ticket (the server clock moved past 30 s)', async () => {
    const { json } = await ticketFor('production')
    offset += STREAM_TICKET_TTL_MS
    try {
      expect(await withTicket(json.ticket)).toMatchObject({ status: 401 })
    } finally {
      offset = 0
    }
  })

  it('binds a ticket to its environment (403 for another), and consumes it anyway', async () => {
    const { json } = await ticketFor('production')
    expect(await withTicket(json.ticket, 'development')).toEqual({ status: 403, message: 'this stream ticket is for environment production, not development' })
    expect(await withTicket(json.ticket)).toMatchObject({ status: 401 })
  })

  it("kills a revoked key's tickets", async () => {
    const created = await server.api('POST', '/api/v1/keys', { name: 'ops', kind: 'admin' })
    const { json } = await ticketFor('production', created.json.secret)
    expect((await server.api('DELETE', `/api/v1/keys/${created.json.id}`)).status).toBe(200)
    expect(await withTicket(json.ticket)).toMatchObject({ status: 401 })
  })

  it("gives an environment's admin key tickets for its own environment only", async () => {
    const scoped = (await server.api('POST', '/api/v1/keys', { name: 'prod-admin', kind: 'admin', environment: 'production' })).json.secret
    expect((await ticketFor('development', scoped)).status).toBe(403)
    const own = await ticketFor('production', scoped)
    expect(own.status).toBe(201)
    expect(await withTicket(own.json.ticket)).toEqual({ opened: true })
  })

  it('refuses a ticket request without a valid environment (400 naming the field), an SDK key (403) and no key (401)', async () => {
    const bad = await ticketFor('')
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.json)).toContain('environment')
    expect((await ticketFor('nowhere')).status).toBe(404)
    expect((await ticketFor('production', await server.createKey('server'))).status).toBe(403)
    expect((await ticketFor('production', null)).status).toBe(401)
  })
})

describe('keys in the stream URL', () => {
  it('refuses an admin key in ?key= with 401, while the same key in a sub-protocol entry opens', async () => {
    const refused = await dial({ protocols: ['canary-flags.v1'], query: `env=production&key=${encodeURIComponent(TEST_ADMIN_KEY)}` })
    expect(refused).toEqual({ status: 401, message: expect.stringMatching(/admin key is not accepted in the URL/) })
    expect(await dial({ protocols: ['canary-flags.v1', `key.${TEST_ADMIN_KEY}`], query: 'env=production' })).toEqual({ opened: true })
  })

  it('still accepts SDK keys in ?key= and in the sub-protocol, as SDKs send them', async () => {
    const client = await server.createKey('client')
    expect(await dial({ protocols: ['canary-flags.v1'], query: `key=${client}` })).toEqual({ opened: true })
    expect(await dial({ protocols: ['canary-flags.v1', `key.${client}`], query: '' })).toEqual({ opened: true })
  })
})
