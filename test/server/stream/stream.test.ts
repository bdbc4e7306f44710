import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../../server/main.ts'
import type { ScheduleFanOut } from '../../../server/stream/fan-out.ts'
import { rawSocket } from '../../helpers/raw-socket.ts'
import { call } from '../../helpers/call-api.ts'

const ADMIN = 'stream-test-admin-key-0123456789'
let server: RunningServer
let serverKey: string
let clientKey: string
const sockets: WebSocket[] = []
/** What the server logged in the current test (the slow-consumer cut-off is logged). */
let logged: string[] = []
const droppedSlowConsumer = () => logged.some((message) => message.startsWith('dropping slow consumer'))

/**
 * Holds fan-outs while `held`: the API still answers (writes never wait for the fan-out), and
 * every change committed meanwhile goes out in one fan-out on `release`.
 */
const fanOutGate = {
  held: false,
  waiting: [] as Array<() => void>,
  hold() {
    fanOutGate.held = true
  },
  release() {
    fanOutGate.held = false
    for (const start of fanOutGate.waiting.splice(0)) start()
  },
}
const scheduleFanOut: ScheduleFanOut = (start) => (fanOutGate.held ? void fanOutGate.waiting.push(start) : void setImmediate(start))

const api = (method: string, path: string, body?: unknown, key = ADMIN) => call(server.url, key, method, path, body)

/** A raw ws client that records every text frame, closed after each test. */
function connect(key: string, options: { autoPong?: boolean; query?: string; perMessageDeflate?: boolean } = {}) {
  const c = rawSocket(server.url, key, options)
  sockets.push(c.socket)
  return c
}

/** A server on a fresh database with a server key, a client key and one client-side flag. */
async function startTestServer(heartbeatMs: number) {
  logged = []
  const dir = mkdtempSync(join(tmpdir(), 'cf-stream-'))
  server = await startServer(
    { port: 0, host: '127.0.0.1', databasePath: join(dir, 'db.sqlite'), adminKey: ADMIN, publicUrl: '' },
    { log: (message) => void logged.push(message), stream: { heartbeatMs, maxBufferedBytes: 256 * 1024, scheduleFanOut } },
  )
  serverKey = (await api('POST', '/api/v1/keys', { name: 'checkout-svc', kind: 'server', environment: 'production' })).json.secret
  clientKey = (await api('POST', '/api/v1/keys', { name: 'web', kind: 'client', environment: 'production' })).json.secret
  await api('POST', '/api/v1/flags', { key: 'checkout-v2', clientSide: true })
}

beforeEach(() => startTestServer(200))

afterEach(async () => {
  fanOutGate.release()
  for (const s of sockets.splice(0)) s.terminate()
  await server.close()
})

const betaAndEu = (rollout: number) => ({
  enabled: true,
  cohorts: [
    { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice', 'secret-bob'] }], rollout: 100 },
    { name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout },
  ],
})

describe('stream authentication', () => {
  it('answers a missing or wrong key with 401 and no socket', async () => {
    await expect(connect('cf_server_nope').opened).rejects.toThrow('HTTP 401')
  })

  it('accepts the key as a sub-protocol entry, as browsers send it', async () => {
    const socket = new WebSocket(server.url.replace('http', 'ws') + '/api/v1/stream', ['canary-flags.v1', `key.${serverKey}`])
    sockets.push(socket)
    await new Promise((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('unexpected-response', (_r, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    })
    expect(socket.protocol).toBe('canary-flags.v1')
  })
})

describe('server-key stream', () => {
  it('sends a snapshot on hello, then each committed change with the next version', async () => {
    const c = connect(serverKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'test/1' })
    const snap = await c.next((m) => m.type === 'snapshot')
    expect(snap.environment).toBe('production')
    expect(snap.flags.map((f: any) => f.key)).toEqual(['checkout-v2'])
    await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled: true })
    const change = await c.next((m) => m.type === 'changes')
    expect(change.changes).toEqual([{ type: 'flag', version: snap.version + 1, flag: expect.objectContaining({ key: 'checkout-v2', enabled: true }) }])
    // Development changes never reach a production key.
    await api('PATCH', '/api/v1/environments/development/flags/checkout-v2', { enabled: true })
    await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled: false })
    const last = await c.next((m) => m.type === 'changes' && m.changes[0].version === snap.version + 2)
    expect(last.changes[0].flag.enabled).toBe(false)
    expect(c.messages.filter((m) => m.type === 'changes')).toHaveLength(2)
  })

  it('replays exactly the missed changes to an SDK that says which version it has', async () => {
    const first = connect(serverKey)
    await first.opened
    first.send({ type: 'hello', sdk: 'test/1' })
    const { version } = await first.next((m) => m.type === 'snapshot')
    first.socket.close()
    for (const enabled of [true, false, true]) await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled })
    const again = connect(serverKey)
    await again.opened
    again.send({ type: 'hello', sdk: 'test/1', version })
    const replay = await again.next((m) => m.type === 'changes')
    expect(replay.changes.map((c: any) => [c.version, c.flag.enabled])).toEqual([
      [version + 1, true],
      [version + 2, false],
      [version + 3, true],
    ])
    expect(again.messages.some((m) => m.type === 'snapshot')).toBe(false)
  })

  it('sends a fresh snapshot to an SDK whose version is older than the kept change log', async () => {
    const c = connect(serverKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'test/1' })
    const { version } = await c.next((m) => m.type === 'snapshot')
    c.socket.close()
    for (let i = 0; i < 1005; i++)
      await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled: i % 2 === 0 })
    const late = connect(serverKey)
    await late.opened
    late.send({ type: 'hello', sdk: 'test/1', version })
    const snap = await late.next((m) => m.type === 'snapshot')
    expect(snap.version).toBe(version + 1005)
    expect(snap.flags[0].enabled).toBe(true) // the last of 1005 alternating changes (i = 1004) turned it on
  }, 60_000)

  it('lists connected SDKs with their key, environment, sdk, language, protocol and versions (sdk/SPEC.md §5.1)', async () => {
    const c = connect(serverKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'canary-flags-node/0.1.0' })
    const snap = await c.next((m) => m.type === 'snapshot')
    c.send({ type: 'ping', version: snap.version })
    await c.next((m) => m.type === 'pong')
    const list = await api('GET', '/api/v1/connections')
    expect(list.json.items).toEqual([
      expect.objectContaining({ keyName: 'checkout-svc', kind: 'server', environment: 'production', sdk: 'canary-flags-node/0.1.0', appliedVersion: snap.version, sentVersion: snap.version }),
    ])
    expect(list.json.items[0]).toMatchObject({ language: 'node', sdkVersion: '0.1.0', protocol: 'canary-flags.v1' })
  })

  it('names no language for an sdk that does not follow canary-flags-<language>/<version>', async () => {
    const c = connect(serverKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'test/1' })
    await c.next((m) => m.type === 'snapshot')
    const [item] = (await api('GET', '/api/v1/connections')).json.items
    expect(item).toMatchObject({ sdk: 'test/1', language: null, sdkVersion: null, protocol: 'canary-flags.v1' })
  })

  it('closes the live sockets of a revoked key at once with 4401', async () => {
    const c = connect(serverKey)
    await c.opened
    const keys = await api('GET', '/api/v1/keys')
    const id = keys.json.items.find((k: any) => k.name === 'checkout-svc').id
    await api('DELETE', `/api/v1/keys/${id}`)
    expect(await c.closed).toEqual({ code: 4401, reason: 'API key revoked' })
  })
})

describe('coalesced fan-out', () => {
  const patch = (enabled: boolean) => api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled })
  const versionsOf = (m: any) => m.changes.map((c: any) => c.version)
  /** Every version a socket was sent after `from`, in the order the frames came. */
  const sentVersions = (c: { messages: any[] }) => c.messages.filter((m) => m.type === 'changes').flatMap(versionsOf)

  async function helloed(version?: number) {
    const c = connect(serverKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'test/1', ...(version === undefined ? {} : { version }) })
    return c
  }

  it('answers writes while a fan-out waits, then sends their changes as one frame in version order', async () => {
    const c = await helloed()
    const { version } = await c.next((m) => m.type === 'snapshot')
    fanOutGate.hold()
    // Every write is answered although nothing has been fanned out yet.
    for (const enabled of [true, false, true]) expect((await patch(enabled)).status).toBe(200)
    expect(c.messages.some((m) => m.type === 'changes')).toBe(false)
    fanOutGate.release()
    const frame = await c.next((m) => m.type === 'changes')
    expect(frame.changes.map((ch: any) => [ch.version, ch.flag.enabled])).toEqual([
      [version + 1, true],
      [version + 2, false],
      [version + 3, true],
    ])
    // The next fan-out continues from there: one more frame, the next version.
    await patch(false)
    await c.next((m) => m.type === 'changes' && versionsOf(m).includes(version + 4))
    expect(sentVersions(c)).toEqual([version + 1, version + 2, version + 3, version + 4])
  })

  it('resumes an SDK from a version in the middle of a coalesced frame', async () => {
    const c = await helloed()
    const { version } = await c.next((m) => m.type === 'snapshot')
    fanOutGate.hold()
    for (const enabled of [true, false, true]) await patch(enabled)
    fanOutGate.release()
    await c.next((m) => m.type === 'changes')
    c.socket.close()
    // Applied the first two of the frame's three, then lost the connection.
    const again = await helloed(version + 2)
    const replay = await again.next((m) => m.type === 'changes')
    expect(versionsOf(replay)).toEqual([version + 3])
    await patch(false)
    await again.next((m) => m.type === 'changes' && versionsOf(m).includes(version + 4))
    expect(sentVersions(again)).toEqual([version + 3, version + 4])
    expect(again.messages.some((m) => m.type === 'snapshot')).toBe(false)
  })

  it('gives a socket that says hello while changes wait each version once', async () => {
    const before = await helloed()
    const { version } = await before.next((m) => m.type === 'snapshot')
    fanOutGate.hold()
    await patch(true) // version + 1, committed but not yet fanned out
    // A new SDK gets it in its snapshot; one resuming from `version` in its catch-up.
    const fresh = await helloed()
    const snap = await fresh.next((m) => m.type === 'snapshot')
    expect(snap.version).toBe(version + 1)
    const resuming = await helloed(version)
    expect(versionsOf(await resuming.next((m) => m.type === 'changes'))).toEqual([version + 1])
    await patch(false) // version + 2, queued with the first
    fanOutGate.release()
    for (const c of [before, fresh, resuming]) await c.next((m) => m.type === 'changes' && versionsOf(m).includes(version + 2))
    expect(sentVersions(before)).toEqual([version + 1, version + 2])
    expect(sentVersions(fresh)).toEqual([version + 2])
    expect(sentVersions(resuming)).toEqual([version + 1, version + 2])
  })
})

describe('console (admin-key) stream', () => {
  it('sends every change of the watched environment and coalesced guard updates', async () => {
    const c = connect(ADMIN, { query: '?env=production' })
    await c.opened
    c.send({ type: 'hello', sdk: 'console' })
    await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 10 }] })
    await api('PUT', '/api/v1/environments/production/flags/checkout-v2/guard', { maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60 })
    const changed = await c.next((m) => m.type === 'console_change')
    expect(changed).toMatchObject({ environment: 'production', change: { type: 'flag', flag: { key: 'checkout-v2' } } })
    for (let i = 0; i < 5; i++)
      await api('POST', '/api/v1/metrics', { batch: { id: `c-${i}`, start: 0, end: 1, flags: { 'checkout-v2': [10, 1, 50, 0] } } }, serverKey)
    // Coalesced: however the five batches fall across the feed's one-second timer, an update
    // carries all of them once they are in.
    const update = await c.next((m) => m.type === 'guard_update' && m.guard.recent?.canaryExposures === 50)
    expect(update).toMatchObject({ environment: 'production', flag: 'checkout-v2', guard: { status: expect.any(String), recent: { canaryErrors: 5, controlExposures: 250 } } })
    expect(c.messages.filter((m) => m.type === 'guard_update').length).toBeLessThanOrEqual(5)
    expect(c.messages.some((m) => m.type === 'snapshot')).toBe(false)
  })

  it('refuses a global admin key that names no environment, and an unknown one', async () => {
    await expect(connect(ADMIN).opened).rejects.toThrow('HTTP 403')
    await expect(connect(ADMIN, { query: '?env=moon' }).opened).rejects.toThrow('HTTP 404')
  })
})

describe('bad frames close only their own socket', () => {
  it.each([
    ['garbage bytes', Buffer.from([0xde, 0xad, 0xbe, 0xef]), 1007],
    ['a 2 MB frame', 'x'.repeat(2 * 1024 * 1024), 1009],
    ['an unknown message type', JSON.stringify({ type: 'nope' }), 1008],
    ['invalid JSON', '{"type": "hel', 1008],
  ])('%s', async (_name, frame, code) => {
    const healthy = connect(serverKey)
    const bad = connect(serverKey)
    await Promise.all([healthy.opened, bad.opened])
    healthy.send({ type: 'hello', sdk: 'test/1' })
    await healthy.next((m) => m.type === 'snapshot')
    bad.socket.send(frame)
    expect((await bad.closed).code).toBe(code)
    await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled: true })
    const change = await healthy.next((m) => m.type === 'changes')
    expect(change.changes[0].flag.enabled).toBe(true)
  })
})

describe('client-key stream', () => {
  it('sends only this user\'s results, never rules or other users\' ids, and pushes differences', async () => {
    await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', betaAndEu(0))
    await api('POST', '/api/v1/flags', { key: 'other', clientSide: true })
    const c = connect(clientKey)
    await c.opened
    c.send({ type: 'hello', sdk: 'browser/1', user: { userId: 'carol', region: 'eu-west' } })
    const full = await c.next((m) => m.type === 'results')
    expect(full).toMatchObject({
      full: true,
      results: { 'checkout-v2': { enabled: false, reason: 'DEFAULT' }, other: { enabled: false, reason: 'DISABLED' } },
    })
    await api('PUT', '/api/v1/environments/production/flags/checkout-v2/cohorts/eu/rollout', { rollout: 100 })
    const diff = await c.next((m) => m.type === 'results' && !m.full)
    expect(diff.results).toEqual({ 'checkout-v2': { enabled: true, reason: 'TARGETING_MATCH' } })
    // A change that does not alter this user's answer sends nothing.
    await api('PATCH', '/api/v1/environments/production/flags/other', { stickiness: 'accountId' })
    c.send({ type: 'identify', user: { userId: 'alice' } })
    const alice = await c.next((m) => m.type === 'results' && m.full, c.messages.indexOf(full) + 1)
    expect(alice.results['checkout-v2'].enabled).toBe(true)
    expect(c.messages.filter((m) => m.type === 'results')).toHaveLength(3)
    const bytes = c.frames.join('\n')
    for (const leaked of ['secret-bob', 'eu-west', 'cohorts', 'conditions', 'salt', 'segments', '"rollout"'])
      expect(bytes).not.toContain(leaked)
  })
})

describe('dead and slow peers', () => {
  it('drops a peer that stops answering pings', async () => {
    const c = connect(serverKey, { autoPong: false })
    await c.opened
    c.send({ type: 'hello', sdk: 'test/1' })
    expect((await api('GET', '/api/v1/connections')).json.items).toHaveLength(1)
    await c.closed
    expect((await api('GET', '/api/v1/connections')).json.items).toHaveLength(0)
  })

  it('drops a consumer that does not read instead of buffering without bound', async () => {
    // Heartbeats far apart: a socket that reads nothing also answers no ping, and must be cut
    // here for its unsent bytes, not as a dead connection.
    await server.close()
    await startTestServer(10 * 60_000)
    // Uncompressed frames of ~124 KB: the kernel's socket buffers (tens of MB on loopback) fill
    // after a few hundred changes, then the server's own send buffer grows.
    const big = Array.from({ length: 4000 }, () => randomBytes(14).toString('hex'))
    const slow = connect(serverKey, { perMessageDeflate: false })
    const healthy = connect(serverKey)
    await Promise.all([slow.opened, healthy.opened])
    slow.send({ type: 'hello', sdk: 'test/1' })
    healthy.send({ type: 'hello', sdk: 'test/1' })
    await slow.next((m) => m.type === 'snapshot')
    const { version } = await healthy.next((m) => m.type === 'snapshot')
    // Stop reading: the kernel buffers fill, then the server's send buffer grows until it is cut.
    ;(slow.socket as any)._socket.pause()
    // One change at a time, each read by the healthy consumer before the next: its own buffer
    // drains every time, so only the consumer that does not read can be over the limit. The
    // loop ends on the server's own word that it dropped the slow one (no race between sockets).
    let n = 0
    while (!droppedSlowConsumer() && n < 1000) {
      await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', {
        cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: big.slice(n % 2) }], rollout: 100 }],
      })
      n++
      const from = healthy.messages.length - 1
      await healthy.next((m) => m.type === 'changes' && m.changes.at(-1).version === version + n, Math.max(0, from), 30_000)
    }
    expect(droppedSlowConsumer(), `still not dropped after ${n} changes`).toBe(true)
    ;(slow.socket as any)._socket.resume()
    await slow.closed
    // The slow consumer never got the version that found it over the limit.
    const slowVersions = slow.messages.filter((m) => m.type === 'changes').flatMap((m) => m.changes.map((c: any) => c.version))
    expect(slowVersions).not.toContain(version + n)
    // The healthy consumer got every version once, in order, the last one as committed.
    const last = healthy.messages.filter((m) => m.type === 'changes').at(-1)
    expect(last.changes.at(-1).flag.cohorts[0].conditions[0].values).toHaveLength(big.length - ((n - 1) % 2))
    const versions = healthy.messages.filter((m) => m.type === 'changes').flatMap((m) => m.changes.map((c: any) => c.version))
    expect(versions).toEqual(Array.from({ length: n }, (_, i) => version + 1 + i))
  }, 120_000)
})
