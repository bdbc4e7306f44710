import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRefetchEvents, type RefetchEvent } from '../../server/ofrep/refetch-events.ts'
import { makeStack, type Stack } from '../helpers/stack.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'

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
    const remove = events.open({ environment: 'production', audience, keyId: `k-${audience}`, send: (e) => got.push(e), end: () => remove() }, lastEventId)
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
