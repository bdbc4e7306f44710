import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, type PerMessageDeflateOptions } from 'ws'
import { startServer, type RunningServer } from '../../../server/main.ts'
import type { ScheduleFanOut } from '../../../server/stream/fan-out.ts'
import { deflateWindowOf } from '../../../server/stream/frame.ts'

const ADMIN = 'compression-test-admin-key-01234'
let server: RunningServer | undefined
const sockets: WebSocket[] = []

/** Fan-outs wait while held, so changes committed meanwhile go out as one (larger) frame. */
const gate = { held: false, waiting: [] as Array<() => void> }
const scheduleFanOut: ScheduleFanOut = (start) => (gate.held ? void gate.waiting.push(start) : void setImmediate(start))
const release = () => {
  gate.held = false
  for (const start of gate.waiting.splice(0)) start()
}

afterEach(async () => {
  release()
  for (const socket of sockets.splice(0)) socket.terminate()
  await server?.close()
})

async function api(method: string, path: string, body: unknown) {
  const res = await fetch(server!.url + path, { method, headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) })
  return res.json()
}

async function serverWithFlags(streamCompression: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'cf-compression-'))
  server = await startServer(
    { port: 0, host: '127.0.0.1', databasePath: join(dir, 'db.sqlite'), adminKey: ADMIN, publicUrl: '', streamCompression },
    { log: () => {}, stream: { scheduleFanOut } },
  )
  // Enough flags for a snapshot well over the compression threshold.
  for (let i = 0; i < 150; i++) await api('POST', '/api/v1/flags', { key: `flag-${i}`, description: 'a flag with some words to it' })
  const { secret } = await api('POST', '/api/v1/keys', { name: 'svc', kind: 'server', environment: 'production' })
  return secret as string
}

/** A protocol client counting the bytes that crossed the wire beside the messages' own. */
async function client(key: string, perMessageDeflate: boolean | PerMessageDeflateOptions = true) {
  const socket = new WebSocket(server!.url.replace('http', 'ws') + '/api/v1/stream', 'canary-flags.v1', {
    headers: { authorization: `Bearer ${key}` },
    perMessageDeflate,
  })
  sockets.push(socket)
  const messages: any[] = []
  let messageBytes = 0
  socket.on('message', (data) => {
    messageBytes += (data as Buffer).length
    messages.push(JSON.parse(data.toString()))
  })
  await new Promise((resolve) => socket.once('open', resolve))
  socket.send(JSON.stringify({ type: 'hello', sdk: 'test/1' }))
  const next = async (pred: (m: any) => boolean) => {
    const deadline = Date.now() + 5000
    for (;;) {
      const found = messages.find(pred)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no matching message in ${JSON.stringify(messages).slice(0, 300)}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  const wireBytes = () => (socket as any)._socket.bytesRead as number
  return { socket, messages, next, wireBytes, messageBytes: () => messageBytes }
}

/** Three changes committed while the fan-out waits: one coalesced frame over the threshold. */
async function coalescedChanges() {
  gate.held = true
  for (let i = 0; i < 3; i++)
    await api('PATCH', `/api/v1/environments/production/flags/flag-${i}`, {
      enabled: true,
      cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice', 'bob', 'carol', 'dave'] }], rollout: 100 }],
    })
  release()
}

describe('stream compression (CANARY_STREAM_COMPRESSION)', () => {
  it('off: frames travel as they are', async () => {
    const c = await client(await serverWithFlags(false))
    const snapshot = await c.next((m) => m.type === 'snapshot')
    expect(c.socket.extensions).toBe('')
    expect(snapshot.flags).toHaveLength(150)
    expect(c.wireBytes()).toBeGreaterThan(c.messageBytes())
  })

  it('on: the snapshot and coalesced changes arrive deflated, whole and in order', async () => {
    const c = await client(await serverWithFlags(true))
    const snapshot = await c.next((m) => m.type === 'snapshot')
    expect(c.socket.extensions).toBe('permessage-deflate')
    expect(snapshot.flags).toHaveLength(150)
    expect(c.wireBytes()).toBeLessThan(c.messageBytes() / 3)

    await coalescedChanges()
    const frame = await c.next((m) => m.type === 'changes')
    expect(frame.changes.map((ch: any) => ch.version)).toEqual([snapshot.version + 1, snapshot.version + 2, snapshot.version + 3])
    // A single small change goes uncompressed; it still follows the compressed frame in order.
    await api('PATCH', '/api/v1/environments/production/flags/flag-9', { enabled: true })
    await c.next((m) => m.type === 'changes' && m.changes[0].version === snapshot.version + 4)
    expect(c.messages.filter((m) => m.type === 'changes').flatMap((m) => m.changes.map((ch: any) => ch.version))).toEqual(
      [1, 2, 3, 4].map((n) => snapshot.version + n),
    )
  })

  it('on: a peer with a smaller window, and one without deflate, get the same messages', async () => {
    const key = await serverWithFlags(true)
    const small = await client(key, { serverMaxWindowBits: 10 })
    const plain = await client(key, false)
    expect(small.socket.extensions).toBe('permessage-deflate')
    expect(plain.socket.extensions).toBe('')
    const snapshots = await Promise.all([small, plain].map((c) => c.next((m) => m.type === 'snapshot')))
    expect(snapshots[0]).toEqual(snapshots[1])
    await coalescedChanges()
    const frames = await Promise.all([small, plain].map((c) => c.next((m) => m.type === 'changes')))
    expect(frames[0]).toEqual(frames[1])
    expect(small.wireBytes()).toBeLessThan(plain.wireBytes() / 3)
  })
})

describe('deflateWindowOf', () => {
  const answer = (extensions: string) => ['HTTP/1.1 101 Switching Protocols', `Sec-WebSocket-Extensions: ${extensions}`]
  it('reads the window the answer agreed, and refuses what shared payloads cannot serve', () => {
    expect(deflateWindowOf(answer('permessage-deflate; server_no_context_takeover; client_no_context_takeover'))).toBe(15)
    expect(deflateWindowOf(answer('permessage-deflate; server_no_context_takeover; server_max_window_bits=10'))).toBe(10)
    // Context takeover would make each message depend on the ones before it.
    expect(deflateWindowOf(answer('permessage-deflate; client_no_context_takeover'))).toBeUndefined()
    // zlib's raw deflate has no 256-byte window.
    expect(deflateWindowOf(answer('permessage-deflate; server_no_context_takeover; server_max_window_bits=8'))).toBeUndefined()
    expect(deflateWindowOf(['HTTP/1.1 101 Switching Protocols'])).toBeUndefined()
  })
})
