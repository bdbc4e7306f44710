import * as z from 'zod/mini'
import * as shapes from '../../../api-shapes/index.ts'
import { authHeaders, type Credential } from './credential.ts'
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

/** A sub-protocol entry is an RFC 6455 token: keys made of these characters can ride in one. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** The stream refused the key (revoked): the next API call signs out, so do not retry. */
class KeyRefused extends Error {}

/**
 * Opens the socket. Browsers cannot set headers on a WebSocket: a key that is a valid token rides
 * in a sub-protocol entry; any other (an operator key with spaces) never goes in the URL, which
 * proxies log: the console asks for a single-use ticket with the key in `Authorization` and
 * opens the socket with that (server/auth/stream-tickets.ts). A person's session always takes a
 * ticket (its cookie authenticates the ticket request).
 */
async function open(url: string, env: string, credential: Credential): Promise<WebSocket> {
  if (credential.kind === 'key' && TOKEN.test(credential.key)) return new WebSocket(url, [PROTOCOL, `key.${credential.key}`])
  const response = await fetch('/api/v1/stream-tickets', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...authHeaders(credential, 'POST'), 'content-type': 'application/json' },
    body: JSON.stringify({ environment: env }),
  })
  if (response.status === 401) throw new KeyRefused('the stream ticket was refused: the key is invalid or revoked')
  if (!response.ok) throw new Error(`stream ticket: HTTP ${response.status}`)
  const { ticket } = z.parse(shapes.streamTicket, await response.json())
  return new WebSocket(url, [PROTOCOL, `ticket.${ticket}`])
}

/**
 * The console's live connection: every committed change of the watched environment and the
 * guard's coalesced updates. Reconnects with backoff and tells listeners `resync` after each
 * open, since consoles are not replayed what they missed. Pings so that a dead connection is
 * noticed even when nothing changes.
 *
 * @example
 * const live = createLive({ credential, onStatus: setStatus })
 * live.watch('production')
 * const stop = live.subscribe((m) => m.type === 'console_change' && reload())
 */
export function createLive(options: { credential: Credential; onStatus: (status: LiveStatus) => void }): Live {
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

    function retryLater() {
      retry = setTimeout(dial, reconnectDelay(attempt++, Math.random))
    }

    function dial() {
      options.onStatus('connecting')
      open(url, env, options.credential).then(attach, (error: unknown) => {
        if (closed) return
        options.onStatus('offline')
        if (error instanceof KeyRefused) return // revoked: the next API call signs out
        // Logged, then retried like a dropped socket: the ticket request failed (network, 5xx).
        console.warn('opening the live connection failed; retrying', error)
        retryLater()
      })
    }

    function attach(ws: WebSocket) {
      if (closed) return ws.close(1000, 'console closed') // closed while the ticket was on its way
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
        retryLater()
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
