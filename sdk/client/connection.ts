import type { Backoff } from '../core/backoff.ts'
import { restartSpreadOf, type ClientMessage } from '../core/protocol.ts'
import { asksForPromptReconnect, closeFailureKind, httpFailureKind } from '../core/retry.ts'
import { ClientError } from './errors.ts'
import type { OpenSocket, Socket, Transport, TransportHandlers } from './transport.ts'

export interface ConnectionOptions {
  /** The stream endpoint (`ws(s)://…/api/v1/stream`). */
  url: string
  key: string
  openSocket: OpenSocket
  backoff: Backoff
  now: () => number
  /** How often to ping; a ping with no inbound frame before the next one means the connection is dead. */
  pingIntervalMs?: number
  handlers: TransportHandlers
}

/**
 * The SDK's only I/O: one WebSocket at a time, kept alive with pings and replaced with backoff
 * when it drops. Failures are classified before retrying (`sdk/core/retry.ts`): a configuration
 * error (401/403 on upgrade, or close code 4401 when revoked) stops the connection and is
 * reported once; anything else (network, 5xx, other statuses and close codes, a silent peer)
 * backs off and tries again.
 *
 * @example
 * const transport = createConnection({ url, key, openSocket, backoff, now: Date.now, handlers })
 * transport.send({ type: 'hello', sdk: 'my-sdk' })
 */
export function createConnection(options: ConnectionOptions): Transport {
  const { backoff, now, handlers } = options
  const pingInterval = options.pingIntervalMs ?? 15_000
  let socket: Socket | undefined
  let open = false
  let stopped = false
  /** A ping went out and nothing has come in since. */
  let unanswered = false
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let heartbeat: ReturnType<typeof setInterval> | undefined

  const stopHeartbeat = () => {
    clearInterval(heartbeat)
    heartbeat = undefined
  }

  /**
   * The current socket is gone (closed, refused, dead or dropped on purpose). A server that is
   * shutting down (close code 1012) asks for a prompt reconnect: the backoff's restart schedule
   * (one attempt per spread, at this SDK's own phase, so a fleet arrives evenly, see
   * `sdk/core/backoff.ts`; the window the close reason asks for, if any) replaces its
   * exponential one until a connection opens. So does a healthy connection that dropped with no
   * close code (a server killed with -9 or crashed is restarted within seconds by its
   * supervisor), with this SDK's own spread.
   */
  const lost = (refusal?: string, restart?: { spreadMs: number | undefined }) => {
    const wasOpen = open
    socket?.terminate()
    socket = undefined
    open = false
    stopHeartbeat()
    if (stopped) return
    if (refusal !== undefined) {
      stopped = true
      handlers.fatal(new ClientError('unauthorized', refusal))
      return
    }
    if (wasOpen) handlers.down()
    const at = now()
    retryTimer = setTimeout(connect, restart ? backoff.restart(at, restart.spreadMs) : wasOpen ? backoff.dropped(at) : backoff.fail(at))
  }

  const beat = () => {
    // A half-open TCP connection never errors, it just goes quiet: at most two intervals of
    // silence. Counted in pings, not wall-clock time, so a throttled background tab (timers
    // once a minute) is not mistaken for a dead connection.
    if (unanswered) return lost()
    unanswered = send(handlers.ping())
  }

  function connect() {
    retryTimer = undefined
    if (stopped) return
    let current: Socket
    try {
      current = openSocket()
    } catch {
      // E.g. a platform WebSocket refusing the URL; treated like any failed attempt.
      retryTimer = setTimeout(connect, backoff.fail(now()))
      return
    }
    socket = current
  }

  function openSocket(): Socket {
    const current: Socket = options.openSocket(options.url, options.key, {
      open() {
        if (socket !== current) return
        open = true
        unanswered = false
        backoff.success(now())
        heartbeat = setInterval(beat, pingInterval)
        handlers.open()
      },
      message(text) {
        if (socket !== current) return
        unanswered = false
        handlers.message(text)
      },
      close(code, reason) {
        if (socket !== current) return
        const revoked = closeFailureKind(code) === 'configuration'
        const restart = asksForPromptReconnect(code) ? { spreadMs: restartSpreadOf(reason) } : undefined
        lost(revoked ? 'the SDK key was revoked' : undefined, restart)
      },
      refused(status) {
        if (socket !== current) return
        // Only a configuration error stops: another 4xx on the upgrade may come from a proxy.
        const refused = httpFailureKind(status) === 'configuration'
        lost(refused ? `the server refused the SDK key (HTTP ${status})` : undefined)
      },
    })
    return current
  }

  function send(message: ClientMessage): boolean {
    if (!open || socket === undefined) return false
    try {
      socket.send(JSON.stringify(message))
      return true
    } catch {
      // The socket is closing under us; its close event follows and triggers the reconnect.
      return false
    }
  }

  connect()
  return {
    send,
    reconnect() {
      if (!stopped && socket !== undefined) lost()
    },
    close() {
      stopped = true
      clearTimeout(retryTimer)
      stopHeartbeat()
      socket?.close()
      socket = undefined
      open = false
    },
  }
}
