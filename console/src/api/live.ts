import { parseLiveMessage, type LiveMessage } from './live-message.ts'

export type LiveStatus = 'connecting' | 'live' | 'offline'

export interface Live {
  /** Listens to every message of the watched environment; returns the unsubscribe. */
  subscribe(listener: (message: LiveMessage) => void): () => void
  /** Switches the socket to another environment (closing the old one). */
  watch(env: string): void
  close(): void
}

const PROTOCOL = 'canary-flags.v1'
const PING_MS = 20_000
const PONG_TIMEOUT_MS = 10_000

/** Exponential delay with jitter, capped, so many consoles do not reconnect in lockstep. */
export const reconnectDelay = (attempt: number, random: () => number) =>
  Math.round(Math.min(15_000, 500 * 2 ** attempt) * (0.5 + random() / 2))

function open(url: string, key: string): WebSocket {
  try {
    // Browsers cannot set headers on a WebSocket: the key rides in a sub-protocol entry.
    return new WebSocket(url, [PROTOCOL, `key.${key}`])
  } catch {
    // A key with characters a sub-protocol cannot hold goes in the query instead.
    return new WebSocket(`${url}&key=${encodeURIComponent(key)}`, PROTOCOL)
  }
}

/**
 * The console's live connection: every committed change of the watched environment and the
 * guard's coalesced updates. Reconnects with backoff and tells listeners `resync` after each
 * open, since consoles are not replayed what they missed. Pings so that a dead connection is
 * noticed even when nothing changes.
 *
 * @example
 * const live = createLive({ key, onStatus: setStatus })
 * live.watch('production')
 * const stop = live.subscribe((m) => m.type === 'console_change' && reload())
 */
export function createLive(options: { key: string; onStatus: (status: LiveStatus) => void }): Live {
  const listeners = new Set<(message: LiveMessage) => void>()
  let current: { close(): void } | undefined

  const emit = (message: LiveMessage) => {
    for (const listener of listeners) {
      try {
        listener(message)
      } catch (error) {
        // One broken view must not stop the others from hearing about changes.
        console.error('live listener failed', error)
      }
    }
  }

  function connect(env: string) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const url = `${scheme}://${location.host}/api/v1/stream?env=${encodeURIComponent(env)}`
    let socket: WebSocket | undefined
    let attempt = 0
    let closed = false
    let retry: ReturnType<typeof setTimeout> | undefined
    let pinger: ReturnType<typeof setInterval> | undefined
    let pongDue: ReturnType<typeof setTimeout> | undefined

    const stopTimers = () => {
      clearInterval(pinger)
      clearTimeout(pongDue)
      pongDue = undefined
    }

    function dial() {
      options.onStatus('connecting')
      const ws = open(url, options.key)
      socket = ws
      ws.onopen = () => {
        attempt = 0
        ws.send(JSON.stringify({ type: 'hello', sdk: 'console' }))
        options.onStatus('live')
        emit({ type: 'resync' })
        pinger = setInterval(() => {
          ws.send(JSON.stringify({ type: 'ping' }))
          pongDue ??= setTimeout(() => ws.close(), PONG_TIMEOUT_MS)
        }, PING_MS)
      }
      ws.onmessage = (event) => {
        clearTimeout(pongDue)
        pongDue = undefined
        if (typeof event.data !== 'string') return
        const message = parseLiveMessage(event.data)
        if (message && (message.type === 'resync' || message.environment === env)) emit(message)
      }
      ws.onclose = (event) => {
        stopTimers()
        if (closed) return
        options.onStatus('offline')
        if (event.code === 4401) return // the key was revoked: the next API call signs out
        retry = setTimeout(dial, reconnectDelay(attempt++, Math.random))
      }
    }

    dial()
    return {
      close() {
        closed = true
        clearTimeout(retry)
        stopTimers()
        socket?.close(1000, 'console closed')
      },
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    watch(env) {
      current?.close()
      current = connect(env)
    },
    close() {
      current?.close()
      current = undefined
    },
  }
}
