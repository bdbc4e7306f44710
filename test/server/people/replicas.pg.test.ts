import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { WebSocket } from 'ws'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts'
import { openConsoleStream, personClient, TEST_PASSWORD_COST } from './people-client.ts'

/**
 * Two replicas on one PostgreSQL: a person signed in on replica B is removed on replica A; their
 * session is refused on B at once and their console stream on B closes (announced on
 * `canary_keys`). The test waits for the close with the suite's deadline, never a fixed time.
 */

const PASSWORD = 'replica passphrase 2026'
let database: TestDatabase
let a: TestServer
let b: TestServer
const logged: string[] = []

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'))
  const options = { passwordCost: TEST_PASSWORD_COST, log: (message: string, error?: unknown) => void logged.push(`${message} ${String(error ?? '')}`) }
  a = await startTestServer(options, { databaseUrl: database.url })
  b = await startTestServer(options, { databaseUrl: database.url })
})
afterAll(async () => {
  await b?.close()
  await a?.close()
  await database?.drop()
})

describe('people across replicas', () => {
  it('a removal on replica A ends the session and closes the console stream on replica B', async () => {
    const created = await a.api('POST', '/api/v1/members', { email: 'far@example.com', name: 'Far', password: PASSWORD, roles: [{ environment: 'production', role: 'viewer' }] })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    const onB = personClient(b)
    expect((await onB.signIn('far@example.com', PASSWORD)).status).toBe(201)
    const ticket = await onB.call('POST', '/api/v1/stream-tickets', { environment: 'production' })
    expect(ticket.status, JSON.stringify(ticket.json)).toBe(201)
    const socket = new WebSocket(`${b.url.replace('http', 'ws')}/api/v1/stream?env=production`, ['canary-flags.v1', `ticket.${ticket.json.ticket}`])
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    expect((await a.api('DELETE', `/api/v1/members/${created.json.id}`)).status).toBe(204)
    expect((await onB.call('GET', '/api/v1/session')).status).toBe(401)
    expect(await closed).toBe(4401)
    expect(logged.filter((l) => /failed|error/i.test(l))).toEqual([])
  })

  it("a person's own password change on replica A ends their session and console stream on replica B, and keeps the one on A", async () => {
    const created = await a.api('POST', '/api/v1/members', { email: 'mover@example.com', name: 'Mover', password: PASSWORD, roles: [{ environment: 'production', role: 'viewer' }] })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    const onA = personClient(a)
    const onB = personClient(b)
    expect((await onA.signIn('mover@example.com', PASSWORD)).status).toBe(201)
    expect((await onB.signIn('mover@example.com', PASSWORD)).status).toBe(201)
    const stream = await openConsoleStream(b, onB, 'production')
    const changed = await onA.call('POST', '/api/v1/session/password', { currentPassword: PASSWORD, newPassword: 'moved on passphrase 77' })
    expect(changed.status, JSON.stringify(changed.json)).toBe(200)
    expect(await stream.closed).toBe(4401)
    expect((await onB.call('GET', '/api/v1/session')).status).toBe(401)
    expect((await onA.call('GET', '/api/v1/session')).status).toBe(200)
    expect(logged.filter((l) => /failed|error/i.test(l))).toEqual([])
  })
})
