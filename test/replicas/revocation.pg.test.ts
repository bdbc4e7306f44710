import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CLOSE } from '../../sdk/core/protocol.ts'
import { rawSocket, type RawSocket } from '../helpers/raw-socket.ts'
import { startReplicas, type Replicas } from '../helpers/replicas.ts'
import type { ServerProcess } from '../cli/server-process.ts'

/**
 * Security review finding 1: a key revoked through one replica must stop streaming on every
 * replica at once — its WebSockets (server and client keys) and its OFREP event streams — and
 * no change committed after the revocation may reach them.
 */

const ENV = 'production'
const FLAG = 'revoke-watch'
let cluster: Replicas
let a: ServerProcess
let b: ServerProcess

beforeAll(async () => {
  cluster = await startReplicas(inject('postgresUrl'), 2)
  ;[a, b] = cluster.replicas as [ServerProcess, ServerProcess]
  await cluster.api(a, 'POST', '/api/v1/flags', { key: FLAG, clientSide: true })
  await cluster.api(a, 'PATCH', `/api/v1/environments/${ENV}/flags/${FLAG}`, {
    enabled: true,
    cohorts: [{ name: 'all', conditions: [], rollout: 100 }],
  })
}, 120_000)
afterAll(() => cluster?.close())

async function newKey(kind: 'server' | 'client', name: string): Promise<{ id: string; secret: string }> {
  const created = await cluster.api(a, 'POST', '/api/v1/keys', { name, kind, environment: ENV })
  expect(created.status).toBe(201)
  return { id: created.json.id, secret: created.json.secret }
}

/** A raw socket on `replica` that said hello (and, for client keys, who it is) and got its first answer. */
async function openSocket(replica: ServerProcess, secret: string, kind: 'server' | 'client'): Promise<RawSocket> {
  const socket = rawSocket(replica.url, secret)
  await socket.opened
  socket.send({ type: 'hello', sdk: 'revocation-test', ...(kind === 'client' && { user: { userId: 'carol' } }) })
  await socket.next((m) => m.type === (kind === 'client' ? 'results' : 'snapshot'), 0, 10_000)
  return socket
}

/** An OFREP event stream on `replica`, from the URL its own bulk answer hands out. */
async function openEventStream(replica: ServerProcess, secret: string) {
  const bulk = await fetch(`${replica.url}/ofrep/v1/evaluate/flags`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'carol' } }),
  })
  expect(bulk.status).toBe(200)
  const url: string = ((await bulk.json()) as { eventStreams: Array<{ url: string }> }).eventStreams[0]!.url
  const response = await fetch(url)
  expect(response.status).toBe(200)
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        text += decoder.decode(value, { stream: true })
      }
    } catch {
      // The server cut the stream: ended too.
    }
  })()
  // The first bytes (retry and id) say the stream is registered.
  const deadline = Date.now() + 10_000
  while (!text.includes('retry:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  expect(text).toContain('retry:')
  return { ended, text: () => text, cancel: () => reader.cancel().catch(() => {}) }
}

/** `promise`, or a failure naming `what` when it has not settled by a generous deadline. */
async function within<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms)))
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** The environment versions named in what a socket received (changes, or results answering one). */
const versionsIn = (socket: RawSocket): number[] =>
  socket.messages.flatMap((m) => [
    ...(m.type === 'changes' ? m.changes.map((c: { version: number }) => c.version) : []),
    ...(m.type === 'results' && typeof m.version === 'number' ? [m.version] : []),
  ])

/** Writes a change through replica A and returns the version it made. */
async function toggle(enabled: boolean): Promise<number> {
  const res = await cluster.api(a, 'PATCH', `/api/v1/environments/${ENV}/flags/${FLAG}`, { enabled })
  expect(res.status).toBe(200)
  const envs = await cluster.api(a, 'GET', '/api/v1/environments')
  return envs.json.items.find((e: { key: string }) => e.key === ENV).version
}

describe('revocation across replicas', () => {
  it('revoking through A closes the key\'s WebSockets and OFREP streams on B before any later change reaches them', { timeout: 120_000 }, async () => {
    const server = await newKey('server', 'revoked-server')
    const client = await newKey('client', 'revoked-client')
    const witness = await newKey('server', 'witness')
    const serverSocket = await openSocket(b, server.secret, 'server')
    const clientSocket = await openSocket(b, client.secret, 'client')
    const witnessSocket = await openSocket(b, witness.secret, 'server')
    const serverEvents = await openEventStream(b, server.secret)
    const clientEvents = await openEventStream(b, client.secret)

    // The link works: a change through A reaches every one of them on B.
    const before = await toggle(false)
    for (const socket of [serverSocket, witnessSocket])
      await socket.next((m) => m.type === 'changes' && versionsIn(socket).includes(before), 0, 15_000)
    await clientSocket.next((m) => m.type === 'results' && m.full !== true, 0, 15_000)
    for (const events of [serverEvents, clientEvents]) {
      const deadline = Date.now() + 15_000
      while (!events.text().includes(`id: ${before}\n`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(events.text()).toContain(`id: ${before}\n`)
    }
    const clientResultsBefore = clientSocket.messages.filter((m) => m.type === 'results').length

    for (const key of [server, client]) expect((await cluster.api(a, 'DELETE', `/api/v1/keys/${key.id}`)).status).toBe(200)
    const after = await toggle(true)

    // B has applied the later change (its still-valid witness got it)…
    await witnessSocket.next((m) => m.type === 'changes' && versionsIn(witnessSocket).includes(after), 0, 15_000)
    // …and the revoked key's streams are closed, as revoked, without having received it.
    expect((await within(serverSocket.closed, 'server-key socket on B')).code).toBe(CLOSE.revoked)
    expect((await within(clientSocket.closed, 'client-key socket on B')).code).toBe(CLOSE.revoked)
    await within(serverEvents.ended, 'server-key OFREP event stream on B')
    await within(clientEvents.ended, 'client-key OFREP event stream on B')
    expect(versionsIn(serverSocket).filter((v) => v >= after)).toEqual([])
    expect(clientSocket.messages.filter((m) => m.type === 'results')).toHaveLength(clientResultsBefore)
    for (const events of [serverEvents, clientEvents]) expect(events.text()).not.toContain(`id: ${after}\n`)

    // And B refuses the keys for new streams too.
    expect((await fetch(`${b.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { authorization: `Bearer ${server.secret}` } })).status).toBe(401)
    await expect(rawSocket(b.url, client.secret).opened).rejects.toThrow('HTTP 401')
    witnessSocket.socket.close()
  })
})
