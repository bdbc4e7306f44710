// Contract: sdk/SPEC.md §5.2 (heartbeats) and §6 (close codes). Where this test and the spec disagree, one of them is a bug.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBackoff } from '../../../sdk/core/backoff.ts'
import { createConnection } from '../../../sdk/client/connection.ts'
import type { ClientError } from '../../../sdk/client/errors.ts'
import type { OpenSocket, SocketHandlers, Transport } from '../../../sdk/client/transport.ts'
import { CLOSE } from '../../../sdk/core/protocol.ts'

/**
 * The connection's retry policy and heartbeat, over scripted sockets (our own `Socket` seam, not
 * `ws`; the real sockets run in node-sdk.test.ts) and fake timers.
 */
function scriptedSockets() {
  const sockets: Array<{ handlers: SocketHandlers; sent: string[]; closed: 'no' | 'close' | 'terminate' }> = []
  const openSocket: OpenSocket = (_url, _key, handlers) => {
    const socket = { handlers, sent: [] as string[], closed: 'no' as 'no' | 'close' | 'terminate' }
    sockets.push(socket)
    return {
      send: (text) => socket.sent.push(text),
      close: () => (socket.closed = 'close'),
      terminate: () => (socket.closed = 'terminate'),
    }
  }
  return { sockets, openSocket, last: () => sockets[sockets.length - 1]! }
}

function connection(pingIntervalMs = 1000, capMs = 1000) {
  const scripted = scriptedSockets()
  const events: string[] = []
  const errors: ClientError[] = []
  const transport = createConnection({
    url: 'ws://flags.test/api/v1/stream',
    key: 'cf_server_x',
    openSocket: scripted.openSocket,
    // No jitter: delays are the ceilings 100, 200, 400, …; after a restart close, 300 ms each.
    backoff: createBackoff({ baseMs: 100, capMs, resetAfterMs: 5000, restartSpreadMs: RESTART_SPREAD, random: () => 1 }),
    now: Date.now,
    pingIntervalMs,
    handlers: {
      open: () => events.push('open'),
      ping: () => ({ type: 'ping' }),
      message: (text) => events.push(`message:${text}`),
      down: () => events.push('down'),
      fatal: (error) => errors.push(error),
    },
  })
  transports.push(transport)
  return { ...scripted, transport, events, errors }
}

const RESTART_SPREAD = 300
const transports: Transport[] = []
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
})
afterEach(() => {
  for (const transport of transports.splice(0)) transport.close()
  vi.useRealTimers()
})

describe('createConnection', () => {
  it('connects at once and hands frames to the client', () => {
    const c = connection()
    expect(c.sockets).toHaveLength(1)
    c.last().handlers.open()
    c.last().handlers.message('{"type":"pong"}')
    expect(c.events).toEqual(['open', 'message:{"type":"pong"}'])
    expect(c.transport.send({ type: 'ping' })).toBe(true)
    expect(c.last().sent).toEqual(['{"type":"ping"}'])
  })

  it('does not send before the socket is open', () => {
    const c = connection()
    expect(c.transport.send({ type: 'ping' })).toBe(false)
    expect(c.last().sent).toEqual([])
  })

  it('retries failed attempts with growing delays, and reports down only for open connections', () => {
    const c = connection()
    c.last().handlers.close(1006, '')
    expect(c.events).toEqual([])
    vi.advanceTimersByTime(99)
    expect(c.sockets).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(c.sockets).toHaveLength(2)
    c.last().handlers.refused(503)
    vi.advanceTimersByTime(200)
    expect(c.sockets).toHaveLength(3)
    c.last().handlers.open()
    c.last().handlers.close(1001, '')
    expect(c.events).toEqual(['open', 'down'])
    // Up for less than resetAfterMs: the schedule keeps growing (400 ms next).
    vi.advanceTimersByTime(399)
    expect(c.sockets).toHaveLength(3)
    vi.advanceTimersByTime(1)
    expect(c.sockets).toHaveLength(4)
    expect(c.errors).toEqual([])
  })

  it('reconnects once per restart spread after a restart close (1012), however long the backoff had grown', () => {
    const c = connection(60_000, 60_000)
    // Five failed attempts: the next ordinary delay would be 3,200 ms.
    for (let delay = 100; delay <= 1600; delay *= 2) {
      c.last().handlers.close(1006, '')
      vi.advanceTimersByTime(delay)
    }
    c.last().handlers.open()
    c.last().handlers.close(CLOSE.restart, '')
    expect(c.events).toEqual(['open', 'down'])
    const before = c.sockets.length
    vi.advanceTimersByTime(RESTART_SPREAD - 1)
    expect(c.sockets.length).toBe(before) // this SDK's phase: the whole spread, with random = 1
    vi.advanceTimersByTime(1)
    expect(c.sockets.length).toBe(before + 1)
    // The successor is not up yet: attempts keep coming once per spread, not on a growing ladder.
    for (let i = 2; i <= 5; i++) {
      c.last().handlers.close(1006, '')
      vi.advanceTimersByTime(RESTART_SPREAD)
      expect(c.sockets.length).toBe(before + i)
    }
    // Connected: an ordinary drop right after follows the grown exponential schedule again.
    c.last().handlers.open()
    c.last().handlers.close(1006, '')
    vi.advanceTimersByTime(RESTART_SPREAD)
    expect(c.sockets.length).toBe(before + 5)
    expect(c.errors).toEqual([])
  })

  it('after a connection stayed up long enough, a drop with no close code takes the restart schedule (a crashed server)', () => {
    const c = connection(60_000)
    c.last().handlers.close(1006, '')
    vi.advanceTimersByTime(100)
    c.last().handlers.close(1006, '')
    vi.advanceTimersByTime(200)
    c.last().handlers.open()
    vi.advanceTimersByTime(5000)
    c.last().handlers.close(1006, '')
    // This SDK's phase in the spread (random = 1: its end), then once per spread while refused.
    vi.advanceTimersByTime(RESTART_SPREAD - 1)
    expect(c.sockets).toHaveLength(3)
    vi.advanceTimersByTime(1)
    expect(c.sockets).toHaveLength(4)
    c.last().handlers.close(1006, '')
    vi.advanceTimersByTime(RESTART_SPREAD)
    expect(c.sockets).toHaveLength(5)
  })

  it('a connection that drops soon after opening backs off as usual (a flapping server)', () => {
    const c = connection(60_000)
    c.last().handlers.open()
    vi.advanceTimersByTime(1000)
    c.last().handlers.close(1006, '')
    vi.advanceTimersByTime(100)
    expect(c.sockets).toHaveLength(2)
    c.last().handlers.open()
    vi.advanceTimersByTime(1000)
    c.last().handlers.close(1006, '')
    vi.advanceTimersByTime(199)
    expect(c.sockets).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(c.sockets).toHaveLength(3)
  })

  it.each([401, 403])('stops for good when the upgrade is refused with %i, and says so once', (status) => {
    const c = connection()
    c.last().handlers.refused(status)
    vi.advanceTimersByTime(60_000)
    expect(c.sockets).toHaveLength(1)
    expect(c.errors.map((e) => e.code)).toEqual(['unauthorized'])
  })

  it('stops for good when the server closes with 4401 (key revoked)', () => {
    const c = connection()
    c.last().handlers.open()
    c.last().handlers.close(CLOSE.revoked, '')
    vi.advanceTimersByTime(60_000)
    expect(c.sockets).toHaveLength(1)
    expect(c.errors.map((e) => e.code)).toEqual(['unauthorized'])
    expect(c.events).toEqual(['open'])
  })

  it.each([CLOSE.slowConsumer, CLOSE.policy, CLOSE.goingAway, 1011])('reconnects after close code %i', (code) => {
    const c = connection()
    c.last().handlers.open()
    c.last().handlers.close(code, '')
    vi.advanceTimersByTime(100)
    expect(c.sockets).toHaveLength(2)
    expect(c.errors).toEqual([])
  })

  it('pings every interval and drops a connection whose ping went unanswered', () => {
    const c = connection(1000)
    const first = c.last()
    first.handlers.open()
    vi.advanceTimersByTime(1000)
    expect(first.sent).toEqual(['{"type":"ping"}'])
    first.handlers.message('{"type":"pong"}')
    vi.advanceTimersByTime(1000)
    expect(first.sent).toHaveLength(2)
    // Silence: the next beat finds the ping unanswered.
    vi.advanceTimersByTime(1000)
    expect(first.closed).toBe('terminate')
    expect(c.events.at(-1)).toBe('down')
    vi.advanceTimersByTime(100)
    expect(c.sockets).toHaveLength(2)
  })

  it('ignores late events from a socket it already replaced', () => {
    const c = connection()
    const first = c.last()
    first.handlers.open()
    c.transport.reconnect()
    expect(first.closed).toBe('terminate')
    first.handlers.message('late')
    first.handlers.close(CLOSE.revoked, '')
    expect(c.errors).toEqual([])
    expect(c.events).toEqual(['open', 'down'])
  })

  it('close() closes politely and stops retrying', () => {
    const c = connection()
    c.last().handlers.open()
    c.transport.close()
    expect(c.last().closed).toBe('close')
    vi.advanceTimersByTime(60_000)
    expect(c.sockets).toHaveLength(1)
  })
})
