import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScheduleFanOut } from '../../server/stream/fan-out.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'

/**
 * The server deflates a frame once and writes the same bytes to every socket (stream/frame.ts),
 * building the compressed WebSocket frames itself: a real browser's inflater is the judge of
 * whether they are valid RFC 7692 messages. Snapshots, coalesced changes and a client key's
 * full result set, all over 1 KiB, read in headless Chromium.
 */

const FLAGS = 150

/** Fan-outs wait while held, so the changes committed meanwhile go out as one frame. */
const gate = { held: false, waiting: [] as Array<() => void> }
const scheduleFanOut: ScheduleFanOut = (start) => (gate.held ? void gate.waiting.push(start) : void setImmediate(start))

let server: TestServer
let browser: Browser
let page: Page

beforeAll(async () => {
  server = await startTestServer({ stream: { scheduleFanOut } })
  for (let i = 0; i < FLAGS; i++) await server.api('POST', '/api/v1/flags', { key: `flag-${i}`, clientSide: true })
  browser = await launchChromium()
  page = await browser.newPage()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** In the page: opens a stream socket with `key` and says hello; its messages collect in `window.streamMessages`. */
async function open(key: string, hello: Record<string, unknown> = {}) {
  const wsUrl = server.url.replace('http', 'ws') + '/api/v1/stream'
  await page.evaluate(
    ({ wsUrl, key, hello }) => {
      const w = window as any
      w.streamMessages = []
      w.streamSocket = new WebSocket(wsUrl, ['canary-flags.v1', `key.${key}`])
      w.streamSocket.onopen = () => w.streamSocket.send(JSON.stringify({ type: 'hello', sdk: 'chromium-test/1', ...hello }))
      w.streamSocket.onmessage = (event: MessageEvent) => w.streamMessages.push(JSON.parse(event.data))
    },
    { wsUrl, key, hello },
  )
}

/** The first `count` messages the page's socket got, once it has them (Playwright's deadline). */
async function received(count: number): Promise<{ extensions: string; messages: any[] }> {
  await page.waitForFunction((n) => (window as any).streamMessages.length >= n, count)
  return page.evaluate((n) => {
    const w = window as any
    return { extensions: w.streamSocket.extensions as string, messages: w.streamMessages.slice(0, n) }
  }, count)
}

const closeSocket = () => page.evaluate(() => (window as any).streamSocket.close())

describe('compressed frames in headless Chromium', () => {
  it('reads a deflated snapshot, then a deflated coalesced frame, in order', async () => {
    const key = await server.createKey('server')
    await open(key)
    const { extensions, messages } = await received(1)
    expect(extensions).toContain('permessage-deflate')
    expect(extensions).toContain('server_no_context_takeover')
    const [snapshot] = messages
    expect(snapshot.type).toBe('snapshot')
    expect(snapshot.flags).toHaveLength(FLAGS)
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(1024)

    // Ten changes committed while the fan-out waits: one frame, after the snapshot it follows.
    gate.held = true
    for (let i = 0; i < 10; i++)
      expect((await server.api('PATCH', `/api/v1/environments/development/flags/flag-${i}`, { enabled: true })).status).toBe(200)
    gate.held = false
    for (const start of gate.waiting.splice(0)) start()
    const [, frame] = (await received(2)).messages
    expect(frame.type).toBe('changes')
    expect(frame.changes.map((c: any) => c.version)).toEqual(Array.from({ length: 10 }, (_, i) => snapshot.version + 1 + i))
    expect(JSON.stringify(frame).length).toBeGreaterThan(1024)
    await closeSocket()
  })

  it('reads a client key\'s deflated full result set', async () => {
    const key = await server.createKey('client')
    await open(key, { user: { userId: 'u1' } })
    const [results] = (await received(1)).messages
    expect(results).toMatchObject({ type: 'results', full: true })
    expect(Object.keys(results.results)).toHaveLength(FLAGS)
    expect(JSON.stringify(results).length).toBeGreaterThan(1024)
    await closeSocket()
  })
})
