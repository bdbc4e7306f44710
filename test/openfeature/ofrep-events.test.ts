import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRefetchEvents, type RefetchEvent } from '../../server/ofrep/refetch-events.ts'
import { makeStack, type Stack } from '../helpers/stack.ts'
import { ConfigError, readConfig } from '../../server/config.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'

/** The id and expiry a token states (`<who>.<id>.<expiresAt>.<signature>`, stream-token.ts), unchecked. */
const tokenFields = (token: string) => {
  const [, id, expiresAt] = token.split('.')
  return { id: id!, expiresAt: Number(expiresAt) }
}

const ENV = '/api/v1/environments/production'

describe('refetch events (the fan-out behind the SSE stream)', () => {
  let s: Stack
  beforeAll(async () => {
    s = await makeStack()
    await s.call('POST', '/api/v1/flags', { body: { key: 'seen', clientSide: true } })
    await s.call('POST', '/api/v1/flags', { body: { key: 'unseen' } })
    await s.rules.load('production')
  })
  afterAll(() => s.close())
  afterEach(() => vi.useRealTimers())

  const listen = (events: ReturnType<typeof createRefetchEvents>, audience: 'server' | 'client', lastEventId?: string) => {
    const got: RefetchEvent[] = []
    const remove = events.open({ environment: 'production', audience, keyId: `k-${audience}`, expiresAt: Infinity, send: (e) => got.push(e), end: () => remove() }, lastEventId)
    return { got, remove }
  }

  it('coalesces a burst of changes into one event carrying the latest version', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const events = createRefetchEvents({ rules: s.rules, now: () => 1_771_622_898_000, coalesceMs: 50 })
    const server = listen(events, 'server')
    for (const enabled of [true, false, true]) await s.call('PATCH', `${ENV}/flags/seen`, { body: { enabled } })
    expect(server.got).toEqual([])
    vi.advanceTimersByTime(50)
    const version = s.rules.get('production').version
    expect(server.got).toEqual([
      { id: String(version), data: JSON.stringify({ type: 'refetchEvaluation', etag: `"v${version}"`, lastModified: 1_771_622_898 }) },
    ])
    server.remove()
  })

  it("tells client-key streams only of changes to flags they can see", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const events = createRefetchEvents({ rules: s.rules, now: Date.now, coalesceMs: 50 })
    const server = listen(events, 'server')
    const client = listen(events, 'client')
    await s.call('PATCH', `${ENV}/flags/unseen`, { body: { enabled: true } })
    vi.advanceTimersByTime(50)
    expect(server.got).toHaveLength(1)
    expect(client.got).toEqual([])
    await s.call('PATCH', `${ENV}/flags/seen`, { body: { enabled: false } })
    vi.advanceTimersByTime(50)
    expect(client.got).toHaveLength(1)
    // Hiding a flag is news to clients (it disappears from their answers).
    await s.call('PATCH', '/api/v1/flags/seen', { body: { clientSide: false } })
    vi.advanceTimersByTime(50)
    expect(client.got).toHaveLength(2)
    await s.call('PATCH', '/api/v1/flags/seen', { body: { clientSide: true } })
    vi.advanceTimersByTime(50)
    server.remove()
    client.remove()
  })

  it('replays one event at once to a stream whose Last-Event-ID is behind, none when it is current', () => {
    const events = createRefetchEvents({ rules: s.rules, now: Date.now })
    const version = s.rules.get('production').version
    const behind = listen(events, 'client', String(version - 1))
    const current = listen(events, 'client', String(version))
    const garbage = listen(events, 'client', 'not-a-version')
    expect(behind.got.map((e) => e.id)).toEqual([String(version)])
    expect(current.got).toEqual([])
    expect(garbage.got).toEqual([])
    expect(events.count()).toBe(3)
    events.closeRevoked((keyId) => keyId === 'k-client')
    expect(events.count()).toBe(0)
  })

  it('ends the streams whose token has expired by its clock, and only those', () => {
    let now = 1_000_000
    const events = createRefetchEvents({ rules: s.rules, now: () => now })
    const ended: string[] = []
    const open = (name: string, expiresAt: number) =>
      events.open({ environment: 'production', audience: 'server', keyId: name, expiresAt, send: () => {}, end: () => ended.push(name) })
    open('early', 1_000_500)
    const removeLate = open('late', 1_002_000)
    events.endExpired()
    expect(ended).toEqual([])
    now = 1_000_500
    events.endExpired()
    expect(ended).toEqual(['early'])
    expect(events.count()).toBe(1)
    removeLate()
  })
})

describe('CANARY_OFREP_STREAM_TOKEN_SECONDS and CANARY_OFREP_STREAMS_PER_TOKEN', () => {
  it('read whole seconds from 10 to a day and a whole number of streams, refusing anything else by name', () => {
    expect(readConfig([], { CANARY_OFREP_STREAM_TOKEN_SECONDS: '120', CANARY_OFREP_STREAMS_PER_TOKEN: '3' }).ofrepStreams).toEqual({
      tokenTtlMs: 120_000,
      streamsPerToken: 3,
    })
    expect(readConfig([], {}).ofrepStreams).toEqual({ tokenTtlMs: undefined, streamsPerToken: undefined })
    for (const bad of ['9', '86401', '1.5', 'soon'])
      expect(() => readConfig([], { CANARY_OFREP_STREAM_TOKEN_SECONDS: bad })).toThrow(
        new ConfigError(`CANARY_OFREP_STREAM_TOKEN_SECONDS: ${bad} is not a whole number of seconds from 10 to 86400`),
      )
    expect(() => readConfig([], { CANARY_OFREP_STREAMS_PER_TOKEN: '0' })).toThrow(/CANARY_OFREP_STREAMS_PER_TOKEN: 0 is not a whole number/)
  })
})

/** SSE frames of a fetch body, read on demand until a condition holds (with a deadline). */
function frameReader(response: Response) {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const frames: string[] = []
  let buffer = ''
  return {
    frames,
    async until(done: (frames: string[]) => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (!done(frames) && Date.now() < deadline) {
        const chunk = await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(r, deadline - Date.now()))])
        if (chunk === undefined || chunk.done) break
        buffer += decoder.decode(chunk.value, { stream: true })
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          frames.push(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
        }
      }
      return frames
    },
    cancel: () => reader.cancel(),
  }
}

describe('the SSE event stream over a real server', () => {
  let server: TestServer
  let key: { id: string; secret: string }
  beforeAll(async () => {
    server = await startTestServer()
    const res = await server.api('POST', '/api/v1/keys', { name: 'sse', kind: 'client', environment: 'development' })
    key = { id: res.json.id, secret: res.json.secret }
    await server.api('POST', '/api/v1/flags', { key: 'sse-flag', clientSide: true })
  })
  afterAll(() => server.close())

  const streamUrl = async () => {
    const bulk = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'alice' } }),
    })
    return ((await bulk.json()) as { eventStreams: Array<{ url: string }> }).eventStreams[0]!.url
  }

  it('streams text/event-stream: the version as id first, then refetchEvaluation on a change', async () => {
    const url = await streamUrl()
    const response = await fetch(url)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const stream = frameReader(response)
    expect((await stream.until((f) => f.length >= 1))[0]).toMatch(/^retry: \d+\nid: \d+$/)
    await server.api('PATCH', '/api/v1/environments/development/flags/sse-flag', { enabled: true })
    const frames = await stream.until((f) => f.some((frame) => frame.includes('refetchEvaluation')))
    const event = frames.find((frame) => frame.includes('refetchEvaluation'))!
    expect(event).toMatch(/^data: \{"type":"refetchEvaluation","etag":"\\"v(\d+)\\"","lastModified":\d+\}\nid: \1$/)
    await stream.cancel()
  })

  it('replays on reconnect with a Last-Event-ID behind the current version', async () => {
    const url = await streamUrl()
    const response = await fetch(url, { headers: { 'last-event-id': '0' } })
    const stream = frameReader(response)
    const frames = await stream.until((f) => f.some((frame) => frame.includes('refetchEvaluation')))
    expect(frames.some((frame) => frame.includes('refetchEvaluation'))).toBe(true)
    await stream.cancel()
  })

  it('ends the stream when its key is revoked, and refuses its URL afterwards', async () => {
    const url = await streamUrl()
    const response = await fetch(url)
    const reader = response.body!.getReader()
    await reader.read()
    expect((await server.api('DELETE', `/api/v1/keys/${key.id}`)).status).toBe(200)
    let done = false
    while (!done) done = (await reader.read()).done
    expect(done).toBe(true)
    expect((await fetch(url)).status).toBe(401)
  })
})

describe('client-key event streams are limited like client connections', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ clientLimits: { openConnectionsPerAddress: 1 } })
  })
  afterAll(() => server.close())

  it('refuses a second open stream from one address with 429, and accepts one again after the first closed', async () => {
    const key = await server.createKey('client')
    const bulk = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{}',
    })
    const url = ((await bulk.json()) as { eventStreams: Array<{ url: string }> }).eventStreams[0]!.url
    const first = await fetch(url)
    expect(first.status).toBe(200)
    const refused = await fetch(url)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    await first.body!.cancel()
    await expect.poll(async () => {
      const again = await fetch(url)
      await again.body?.cancel()
      return again.status
    }, { timeout: 10_000 }).toBe(200)
  })
})

describe('event-stream tokens are short-lived, checked while open, and bounded per token (finding 14)', () => {
  let server: TestServer
  let serverKey: string
  // The server's clock, moved by hand: expiry is decided by it, never by waiting.
  let offset = 0
  const clock = () => Date.now() + offset
  beforeAll(async () => {
    // Re-checks often, so the expiry sweep runs soon after the clock moves (the stream's own
    // timer runs on real time and would wait the full lifetime).
    server = await startTestServer({ now: clock, keyRecheckMs: 100 })
    serverKey = await server.createKey('server')
  })
  afterAll(() => server.close())

  const streamUrl = async () => {
    const bulk = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serverKey}`, 'content-type': 'application/json' },
      body: '{}',
    })
    return ((await bulk.json()) as { eventStreams: Array<{ url: string }> }).eventStreams[0]!.url
  }
  const grantOf = (url: string) => tokenFields(new URL(url).searchParams.get('token')!)

  it('issues tokens valid for 10 minutes by default, each with its own id', async () => {
    const before = clock()
    const first = grantOf(await streamUrl())
    const after = clock()
    expect(first.expiresAt).toBeGreaterThanOrEqual(before + 600_000)
    expect(first.expiresAt).toBeLessThanOrEqual(after + 600_000)
    expect(grantOf(await streamUrl()).id).not.toBe(first.id)
  })

  it('ends an open stream once its token expires, and refuses the URL afterwards', async () => {
    const url = await streamUrl()
    const response = await fetch(url)
    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    await reader.read()
    offset += 600_001
    try {
      // Ends at the next key re-check (every 100 ms here); the deadline is only a safety net.
      const ended = await Promise.race([
        (async () => {
          for (;;) if ((await reader.read()).done) return true
        })(),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000)),
      ])
      expect(ended).toBe(true)
      const again = await fetch(url)
      expect(again.status).toBe(401)
      expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/expired event-stream token/)
    } finally {
      offset = 0
      await reader.cancel().catch(() => {})
    }
  })

  it('opens at most 2 streams per token (429 past it), a slot freed when one closes, and a new token has its own', async () => {
    const url = await streamUrl()
    const first = await fetch(url)
    const second = await fetch(url)
    expect([first.status, second.status]).toEqual([200, 200])
    const third = await fetch(url)
    expect(third.status).toBe(429)
    expect(((await third.json()) as { error: { message: string } }).error.message).toMatch(/already has 2 open streams/)
    const other = await fetch(await streamUrl())
    expect(other.status).toBe(200)
    await first.body!.cancel()
    await expect
      .poll(async () => {
        const again = await fetch(url)
        await again.body?.cancel()
        return again.status
      }, { timeout: 10_000 })
      .toBe(200)
    await second.body!.cancel()
    await other.body!.cancel()
  })
})

describe('the event-stream limits are settings', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ ofrepStreams: { tokenTtlMs: 60_000, streamsPerToken: 1 } })
  })
  afterAll(() => server.close())

  it('uses the configured lifetime and streams per token', async () => {
    const key = await server.createKey('server')
    const bulk = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{}',
    })
    const url = ((await bulk.json()) as { eventStreams: Array<{ url: string }> }).eventStreams[0]!.url
    const grant = tokenFields(new URL(url).searchParams.get('token')!)
    expect(grant.expiresAt - Date.now()).toBeGreaterThan(50_000)
    expect(grant.expiresAt - Date.now()).toBeLessThanOrEqual(60_000)
    const first = await fetch(url)
    expect(first.status).toBe(200)
    expect((await fetch(url)).status).toBe(429)
    await first.body!.cancel()
  })
})
