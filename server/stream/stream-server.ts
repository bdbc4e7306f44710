import type { IncomingMessage, Server } from 'node:http'
import { WebSocketServer } from 'ws'
import { RESTART_SPREAD_MS } from '../../sdk/core/backoff.ts'
import { CLOSE, MAX_RESTART_SPREAD_MS, PROTOCOL, restartCloseReason } from '../../sdk/core/protocol.ts'
import type { EvidenceIntake } from '../guard/evidence-intake.ts'
import type { GuardService } from '../guard/guard-service.ts'
import { createClientLimits, DEFAULT_CLIENT_LIMITS, type ClientLimits } from '../rate-limit/client-limits.ts'
import type { Store } from '../store/contract.ts'
import { describeConnection, type Connection } from './connection.ts'
import { startConsoleFeed } from './console-feed.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { KeyIndex } from '../auth/key-index.ts'
import type { StreamTickets } from '../auth/stream-tickets.ts'
import { createFanOut, type ScheduleFanOut } from './fan-out.ts'
import { deflateWindowOf } from './frame.ts'
import { createResultsSender } from './results-sender.ts'
import { createSend } from './send.ts'
import { createSessions } from './session.ts'
import { createUpgradeHandler } from './upgrade.ts'

export { STREAM_PATH } from './upgrade.ts'

export interface StreamOptions {
  /** Ping interval; a peer that has not answered the previous ping by the next one is dropped. */
  heartbeatMs?: number
  /** Largest accepted frame; bigger ones close the socket with 1009. */
  maxFrameBytes?: number
  /** A socket whose unsent data exceeds this is a slow consumer and is dropped. */
  maxBufferedBytes?: number
  /** permessage-deflate for frames of 1 KiB and more (coalesced changes, snapshots), with peers that offer it; default on. */
  compression?: boolean
  /** When a queued fan-out starts (default: the next turn); tests hold it to coalesce changes. */
  scheduleFanOut?: ScheduleFanOut
  /**
   * On graceful shutdown, the connection rate (per second) this server's SDKs are asked to stay
   * under when they reconnect to its successor: the restart close names a window of
   * `connections ÷ rate` seconds (at least the SDKs' default of 1 s). Default 1,000/s: what one
   * process took on a 2-core machine without a growing backlog (bench/reconnect).
   */
  reconnectRate?: number
}

/** See `StreamOptions.reconnectRate`. */
export const DEFAULT_RECONNECT_RATE = 1000

/**
 * The window a restart close asks `connections` SDKs to spread their reconnects over, so the
 * successor sees at most `rate` new connections a second: never shorter than the SDK's own
 * default window, never longer than the protocol's maximum.
 *
 * @example
 * restartSpreadFor(1000, 2000) // 1000 (the SDK default)
 * restartSpreadFor(10_000, 2000) // 5000
 */
export const restartSpreadFor = (connections: number, rate: number): number =>
  Math.min(MAX_RESTART_SPREAD_MS, Math.max(RESTART_SPREAD_MS, Math.ceil((connections / rate) * 1000)))

export interface StreamDeps {
  store: Store
  /** Key checks of the upgrade (the in-memory index, no SQL). */
  keys: Pick<KeyIndex, 'verify' | 'isLive'>
  /** The console's single-use stream tickets (POST /api/v1/stream-tickets). */
  tickets: Pick<StreamTickets, 'redeem'>
  rules: EnvRules
  /** The guard's live status for the console feed. */
  guard?: Pick<GuardService, 'onCounts' | 'view'>
  /** Where SDK metrics batches go: one validation and the trust rules for every transport. */
  intake?: EvidenceIntake
  /** Rate limits on client keys (identities per connection, connections per address). */
  clientLimits?: ClientLimits
  log: (message: string, error?: unknown) => void
  /** The clock of guard evidence (tests move it by hand). */
  now?: () => number
  /** Fan-out timing for Prometheus. */
  metrics?: { fanOut(environment: string, seconds: number): void }
}

/**
 * The WebSocket endpoint on the API's own HTTP server, assembled from its jobs: upgrade and
 * authentication (`upgrade.ts`), one connection's session (`session.ts`), fan-out of committed
 * changes (`fan-out.ts`) and the console's guard feed (`console-feed.ts`). This file owns the
 * connection registry, heartbeats and shutdown.
 */
export function attachStream(server: Server, deps: StreamDeps, options: StreamOptions = {}) {
  const { store, rules, log } = deps
  const limits = deps.clientLimits ?? createClientLimits(DEFAULT_CLIENT_LIMITS, Date.now)
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes ?? 256 * 1024,
    // Browsers offer ['canary-flags.v1', 'key.<secret>']; answer with the protocol, never the key.
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
    // Our frames are compressed once for every socket (frame.ts), which needs each message
    // compressed on its own: no context takeover, which also keeps no zlib window per SDK.
    perMessageDeflate: options.compression ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : false,
  })
  /** Per upgrade request, the deflate window its answer agreed (read as the answer is written). */
  const deflateWindows = new WeakMap<IncomingMessage, number | undefined>()
  wss.on('headers', (headers, request) => deflateWindows.set(request, deflateWindowOf(headers)))
  const connections = new Map<string, Connection>()
  const send = createSend({ maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024, log })
  const sendResults = createResultsSender(rules, send)
  const fanOut = createFanOut({ connections, rules, send, sendResults, metrics: deps.metrics, log, schedule: options.scheduleFanOut })
  const open = createSessions(connections, {
    store,
    rules,
    send,
    sendResults,
    limits,
    intake: deps.intake,
    now: deps.now ?? Date.now,
    log,
  })
  const onUpgrade = createUpgradeHandler({
    keys: deps.keys,
    tickets: deps.tickets,
    rules,
    limits,
    log,
    accept: (request, socket, head, { key, environment, release }) =>
      wss.handleUpgrade(request, socket, head, (ws) => {
        open(ws, request, { key, environment, release, deflateWindow: deflateWindows.get(request), transport: socket })
        fanOut.watch(environment)
      }),
  })
  server.on('upgrade', onUpgrade)

  const stopConsoleFeed = deps.guard ? startConsoleFeed({ connections, guard: deps.guard, store, send }) : () => {}

  const heartbeat = setInterval(() => {
    limits.connections.prune()
    limits.identities.prune()
    for (const conn of connections.values()) {
      if (!conn.alive) {
        conn.socket.terminate()
        connections.delete(conn.id)
        continue
      }
      conn.alive = false
      conn.socket.ping()
    }
  }, heartbeatMs)
  heartbeat.unref()

  return {
    /** Live connections, for `GET /api/v1/connections`. */
    list: () => [...connections.values()].map(describeConnection),
    /** Open connections by key kind and environment (Prometheus). */
    counts() {
      const counts = new Map<string, { kind: string; environment: string; count: number }>()
      for (const conn of connections.values()) {
        const id = `${conn.key.kind}\u0000${conn.environment}`
        const entry = counts.get(id) ?? { kind: conn.key.kind, environment: conn.environment, count: 0 }
        entry.count++
        counts.set(id, entry)
      }
      return [...counts.values()]
    },
    /**
     * Graceful shutdown: new upgrades are refused, every SDK is told with close code 1012
     * (restart) to reconnect soon, elsewhere or to this server's successor, spread over a
     * window sized to how many they are (`restartSpreadFor`); sockets that have not finished
     * closing after `timeoutMs` are cut off. Call `close()` after it.
     */
    async drain(timeoutMs = 2000) {
      server.off('upgrade', onUpgrade)
      // Changes already committed reach their SDKs before the sockets are told to go.
      await fanOut.settled()
      const reason = restartCloseReason(restartSpreadFor(connections.size, options.reconnectRate ?? DEFAULT_RECONNECT_RATE))
      const open = [...connections.values()].map(
        (conn) => new Promise<void>((resolve) => {
          if (conn.socket.readyState === conn.socket.CLOSED) return resolve()
          conn.socket.once('close', () => resolve())
          conn.socket.close(CLOSE.restart, reason)
        }),
      )
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all(open), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
      clearTimeout(timer)
    },
    /**
     * Closes every socket of a revoked key at once. A closing socket is sent nothing more
     * (send.ts), so no change committed after the revocation reaches it.
     */
    closeRevoked(isRevoked: (keyId: string) => boolean) {
      for (const conn of connections.values())
        if (isRevoked(conn.key.id)) conn.socket.close(CLOSE.revoked, 'API key revoked')
    },
    /** Closes people's console streams after a role change: they reconnect and are authorized again. */
    closeRightsChanged(isAffected: (principalId: string) => boolean) {
      for (const conn of connections.values())
        if (isAffected(conn.key.id)) conn.socket.close(CLOSE.rightsChanged, 'roles changed: reconnect')
    },
    close() {
      clearInterval(heartbeat)
      stopConsoleFeed()
      server.off('upgrade', onUpgrade)
      fanOut.close()
      for (const conn of connections.values()) conn.socket.terminate()
      connections.clear()
      wss.close()
    },
  }
}

export type StreamServer = ReturnType<typeof attachStream>
