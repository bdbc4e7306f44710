import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { personClient, TEST_PASSWORD_COST } from './people-client.ts'

/**
 * Personal tokens (scoped to the person's roles at use time, revocable, last use recorded) and
 * what ending a person's access does to open things: a console stream opened with a session's
 * ticket closes at once on sign-out and on removal. A real server, real WebSockets.
 */

const PASSWORD = 'token passphrase 0123'
const P = '/api/v1/environments/production'
let server: TestServer
const sockets: WebSocket[] = []

beforeAll(async () => {
  server = await startTestServer({ passwordCost: TEST_PASSWORD_COST })
  await server.api('POST', '/api/v1/flags', { key: 'f1' })
})
afterAll(async () => {
  for (const socket of sockets) socket.terminate()
  await server.close()
})

async function newPerson(email: string, role = 'editor') {
  const res = await server.api('POST', '/api/v1/members', { email, name: email, password: PASSWORD, roles: [{ environment: 'production', role }] })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  const client = personClient(server)
  expect((await client.signIn(email, PASSWORD)).status).toBe(201)
  return { id: res.json.id as string, client }
}

const bearer = (token: string, method: string, path: string, body?: unknown) =>
  server.api(method, path, body, token)

/** Opens the console's stream with a ticket; resolves once open, with a promise of its close code. */
async function consoleStream(client: ReturnType<typeof personClient>) {
  const ticket = await client.call('POST', '/api/v1/stream-tickets', { environment: 'production' })
  expect(ticket.status, JSON.stringify(ticket.json)).toBe(201)
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?env=production`, ['canary-flags.v1', `ticket.${ticket.json.ticket}`])
  sockets.push(socket)
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  return { socket, closed }
}

describe('personal tokens', () => {
  it('are shown once, listed without the secret, and act with the person’s roles at the time of use', async () => {
    const { id, client } = await newPerson('tess@example.com')
    const created = await client.call('POST', '/api/v1/tokens', { name: 'laptop cli' })
    expect(created.status).toBe(201)
    expect(created.json.secret).toMatch(/^cfp_[\w-]{43}$/)
    const token = created.json.secret as string
    const list = await client.call('GET', '/api/v1/tokens')
    expect(list.json.items).toEqual([expect.objectContaining({ name: 'laptop cli', prefix: 'cfp_', lastUsedAt: null, revokedAt: null })])
    expect(JSON.stringify(list.json)).not.toContain(token.slice(4))

    expect((await bearer(token, 'PATCH', `${P}/flags/f1`, { enabled: true })).status).toBe(200)
    expect((await bearer(token, 'PATCH', '/api/v1/environments/development/flags/f1', { enabled: true })).status).toBe(403)
    expect((await client.call('GET', '/api/v1/tokens')).json.items[0].lastUsedAt).toEqual(expect.any(Number))
    const [row] = (await server.api('GET', '/api/v1/audit?flag=f1&env=production&limit=1')).json.items
    expect(row.actor).toBe('person:tess@example.com')

    // Demoted to viewer: the same token can no longer write (never more than the person has now).
    await server.api('PATCH', `/api/v1/members/${id}`, { roles: [{ environment: 'production', role: 'viewer' }] })
    expect((await bearer(token, 'PATCH', `${P}/flags/f1`, { enabled: false })).status).toBe(403)
    expect((await bearer(token, 'GET', `${P}/flags/f1`)).status).toBe(200)
  })

  it('stop working at once when revoked; a key cannot make one', async () => {
    const { client } = await newPerson('rev@example.com')
    const created = await client.call('POST', '/api/v1/tokens', { name: 'ci' })
    const token = created.json.secret as string
    const revoked = await client.call('DELETE', `/api/v1/tokens/${created.json.id}`)
    expect(revoked.json.revokedAt).toEqual(expect.any(Number))
    const refused = await bearer(token, 'GET', `${P}/flags/f1`)
    expect(refused.status).toBe(401)
    expect(refused.json.error.message).toMatch(/personal token/)
    const byKey = await server.api('POST', '/api/v1/tokens', { name: 'x' })
    expect(byKey.status).toBe(403)
    expect(byKey.json.error.message).toMatch(/belong to people/)
  })
})

describe('ending access closes what is open', () => {
  it('sign-out closes the console stream opened with the session’s ticket', async () => {
    const { client } = await newPerson('sol@example.com')
    const { closed } = await consoleStream(client)
    expect((await client.call('DELETE', '/api/v1/session')).status).toBe(204)
    expect(await closed).toBeGreaterThanOrEqual(1000)
  })

  it('a role change closes the person’s console stream (4403) without ending the session; a new ticket is authorized anew', async () => {
    const { id, client } = await newPerson('role@example.com', 'viewer')
    const { closed } = await consoleStream(client)
    const changed = await server.api('PATCH', `/api/v1/members/${id}`, { roles: [{ environment: 'development', role: 'viewer' }] })
    expect(changed.status).toBe(200)
    expect(await closed).toBe(4403)
    expect((await client.call('GET', '/api/v1/session')).status).toBe(200)
    const refused = await client.call('POST', '/api/v1/stream-tickets', { environment: 'production' })
    expect(refused.status).toBe(403)
  })

  it('removal ends the person’s sessions, tokens and streams at once, and is audited', async () => {
    const { id, client } = await newPerson('rem@example.com')
    const token = (await client.call('POST', '/api/v1/tokens', { name: 'ci' })).json.secret as string
    const { closed } = await consoleStream(client)
    expect((await server.api('DELETE', `/api/v1/members/${id}`)).status).toBe(204)
    expect(await closed).toBeGreaterThanOrEqual(1000)
    expect((await client.call('GET', '/api/v1/session')).status).toBe(401)
    expect((await bearer(token, 'GET', `${P}/flags/f1`)).status).toBe(401)
    const audit = await server.api('GET', '/api/v1/audit?limit=5')
    expect(audit.json.items[0]).toMatchObject({ action: 'person.remove', actor: 'admin-key:bootstrap-admin' })
  })

  it('the last global admin person cannot be removed or demoted (409 saying why, nothing changed); with a second one they can', async () => {
    const created = await server.api('POST', '/api/v1/members', { email: 'only-admin@example.com', name: 'Only', password: PASSWORD, admin: true })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    const id = created.json.id as string
    const auditBefore = (await server.api('GET', '/api/v1/audit?limit=1')).json.items[0].id
    const removal = await server.api('DELETE', `/api/v1/members/${id}`)
    expect(removal.status).toBe(409)
    expect(removal.json.error.message).toBe(
      'person only-admin@example.com is the last global admin: removing them would leave nobody to manage members; make another person a global admin first',
    )
    // A demotion with a new password alongside: the password is not set either.
    const demotion = await server.api('PATCH', `/api/v1/members/${id}`, { admin: false, password: 'a different passphrase' })
    expect(demotion.status).toBe(409)
    expect(demotion.json.error.message).toMatch(/last global admin: taking their global admin flag/)
    expect((await server.api('GET', `/api/v1/members/${id}`)).json.admin).toBe(true)
    expect((await personClient(server).signIn('only-admin@example.com', PASSWORD)).status).toBe(201)
    expect((await server.api('GET', '/api/v1/audit?limit=2')).json.items.map((r: { id: number; action: string }) => r.action)).toEqual(['session.sign_in', expect.anything()])
    expect((await server.api('GET', '/api/v1/audit?limit=2')).json.items[1].id).toBe(auditBefore)
    const second = await server.api('POST', '/api/v1/members', { email: 'second-admin@example.com', name: 'Second', admin: true })
    expect((await server.api('PATCH', `/api/v1/members/${id}`, { admin: false })).status).toBe(200)
    expect((await server.api('DELETE', `/api/v1/members/${second.json.id}`)).status).toBe(409)
    expect((await server.api('DELETE', `/api/v1/members/${id}`)).status).toBe(204)
  })

  it('a ticket issued to a session that then ended is refused', async () => {
    const { client } = await newPerson('late@example.com')
    const ticket = (await client.call('POST', '/api/v1/stream-tickets', { environment: 'production' })).json.ticket
    await client.call('DELETE', '/api/v1/session')
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?env=production`, ['canary-flags.v1', `ticket.${ticket}`])
    sockets.push(socket)
    socket.on('error', () => {}) // the refusal also surfaces as an error event; the status is the assertion
    const status = await new Promise<number>((resolve) => {
      socket.once('open', () => resolve(101))
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    })
    expect(status).toBe(401)
  })
})
