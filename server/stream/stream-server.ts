import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import type { Change } from '../../sdk/core/changes.ts'
import {
  CLOSE,
  PROTOCOL,
  parseClientMessage,
  type ReceivedClientMessage,
  type ServerMessage,
} from '../../sdk/core/protocol.ts'
import { snapshotOf, affectedFlags, type Ruleset } from '../../sdk/core/ruleset.ts'
import { authenticateUpgrade, writeUpgradeRefusal } from '../auth/upgrade.ts'
import { errorResponse } from '../error-response.ts'
import { RouteNotFoundError, TooManyRequestsError } from '../errors.ts'
import type { ApiKeyInfo } from '../store/key-store.ts'
import { ClientCredit } from '../guard/client-credit.ts'
import type { EvidenceIntake } from '../guard/evidence-intake.ts'
import type { GuardService } from '../guard/guard-service.ts'
import { AppError, ValidationError } from '../errors.ts'
import { clientAddress } from '../rate-limit/client-address.ts'
import { createClientLimits, DEFAULT_CLIENT_LIMITS, type ClientLimits } from '../rate-limit/client-limits.ts'
import type { Store } from '../store/store.ts'
import { diffResults, resultsFor } from './client-results.ts'
import { describeConnection, type Connection } from './connection.ts'
import type { EnvRules } from './env-rules.ts'

export const STREAM_PATH = '/api/v1/stream'

export interface StreamOptions {
  /** Ping interval; a peer that has not answered the previous ping by the next one is dropped. */
  heartbeatMs?: number
  /** Largest accepted frame; bigger ones close the socket with 1009. */
  maxFrameBytes?: number
  /** A socket whose unsent data exceeds this is a slow consumer and is dropped. */
  maxBufferedBytes?: number
}

export interface StreamDeps {
  store: Store
  rules: EnvRules
  /** The guard's live status for the console feed. */
  guard?: Pick<GuardService, 'onCounts' | 'status'>
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
 * The WebSocket endpoint on the API's own HTTP server. Authenticates before the upgrade
 * completes, sends each SDK a snapshot or exactly the changes it missed, then every committed
 * change; client keys get per-user results instead of rules.
 */
export function attachStream(server: Server, deps: StreamDeps, options: StreamOptions = {}) {
  const { store, rules, log } = deps
  const limits = deps.clientLimits ?? createClientLimits(DEFAULT_CLIENT_LIMITS, Date.now)
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes ?? 256 * 1024,
    // Browsers offer ['canary-flags.v1', 'key.<secret>']; answer with the protocol, never the key.
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
    perMessageDeflate: false,
  })
  const connections = new Map<string, Connection>()
  const envListeners = new Map<string, () => void>()

  function send(conn: Connection, message: ServerMessage | string): void {
    const socket = conn.socket
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > maxBufferedBytes) {
      // Closing politely would queue behind the backlog; cut it off so memory stays bounded.
      log(`dropping slow consumer ${conn.key.name} (${socket.bufferedAmount} bytes unsent)`)
      socket.terminate()
      return
    }
    socket.send(typeof message === 'string' ? message : JSON.stringify(message))
  }


  /** Fan-out of one committed change to every SDK of the environment. */
  function onChange(envKey: string, ruleset: Ruleset, change: Change) {
    const started = performance.now()
    // Serialised once for every server-key SDK: the fan-out cost is one send per socket.
    const frame = JSON.stringify({ type: 'changes', changes: [change] } satisfies ServerMessage)
    const affected = affectedFlags(ruleset, change)
    // A segment change may affect every flag; client keys only ever see the visible ones.
    const clientKeys = change.type === 'segment' || change.type === 'segment_deleted' ? rules.clientVisible(envKey) : affected
    let consoleFrame: string | undefined
    for (const conn of connections.values()) {
      if (conn.environment !== envKey || conn.sdk === undefined) continue
      if (conn.key.kind === 'admin') {
        consoleFrame ??= JSON.stringify({ type: 'console_change', environment: envKey, change } satisfies ServerMessage)
        send(conn, consoleFrame)
      } else if (conn.key.kind === 'client') {
        sendResults(conn, ruleset, clientKeys)
      } else if (conn.held) {
        conn.held.push(change) // catching up: sent after the missed changes, in order
      } else {
        conn.sentVersion = change.version
        send(conn, frame)
      }
    }
    deps.metrics?.fanOut(envKey, (performance.now() - started) / 1000)
  }

  function watchEnvironment(envKey: string) {
    if (envListeners.has(envKey)) return
    envListeners.set(envKey, rules.subscribe(envKey, (ruleset, change) => onChange(envKey, ruleset, change)))
  }

  function sendResults(conn: Connection, ruleset: Ruleset, keys?: Iterable<string>) {
    if (!conn.user) return
    const full = keys === undefined
    const visible = rules.clientVisible(conn.environment)
    const next = resultsFor(ruleset, visible, conn.user, keys)
    if (full) {
      conn.sent = new Map()
      conn.results = new Map()
    }
    const diff = diffResults(conn.sent, conn.results, next, full ? next.keys() : keys)
    conn.sentVersion = ruleset.version
    if (full || Object.keys(diff).length > 0)
      send(conn, { type: 'results', version: ruleset.version, full, results: diff })
  }

  /** Snapshot, or exactly the missed changes when the SDK's version is recent enough. */
  /**
   * Snapshot, or exactly the missed changes when the SDK's version is recent enough. Reading the
   * change log is async: changes committed meanwhile are held for this socket (`held`) and sent
   * after the missed ones, so the SDK sees every version once, in order.
   */
  async function catchUp(conn: Connection, version: number | undefined) {
    const upTo = rules.get(conn.environment).version
    if (version === undefined || version > upTo) return sendSnapshot(conn)
    conn.held = []
    try {
      const missed = await store.logs.changesSince(conn.environment, version, upTo)
      if (!missed) return sendSnapshot(conn)
      conn.sentVersion = upTo
      send(conn, { type: 'changes', changes: missed })
      const later = conn.held.filter((change) => change.version > upTo)
      if (later.length > 0) {
        conn.sentVersion = later.at(-1)!.version
        send(conn, { type: 'changes', changes: later })
      }
    } finally {
      conn.held = undefined
    }
  }

  function sendSnapshot(conn: Connection) {
    const ruleset = rules.get(conn.environment)
    conn.held = undefined
    conn.sentVersion = ruleset.version
    send(conn, { type: 'snapshot', ...snapshotOf(ruleset) })
  }

  function handle(conn: Connection, message: ReceivedClientMessage): Promise<void> | undefined {
    switch (message.type) {
      case 'hello':
        conn.sdk = message.sdk.slice(0, 100)
        conn.appliedVersion = message.version
        if (conn.key.kind === 'admin') return // the console loads state over REST, then listens
        if (conn.key.kind === 'client') {
          if (!takeIdentity(conn)) return
          conn.user = message.user ?? {}
          sendResults(conn, rules.get(conn.environment))
        } else return catchUp(conn, message.version)
        return
      case 'identify':
        if (conn.key.kind !== 'client') return
        if (!takeIdentity(conn)) return
        conn.user = message.user
        conn.sdk ??= 'unknown'
        sendResults(conn, rules.get(conn.environment))
        return
      case 'ping':
        if (message.version !== undefined) conn.appliedVersion = message.version
        send(conn, { type: 'pong' })
        return
      case 'metrics':
        if (conn.key.kind === 'admin') {
          closePolicy(conn, 'admin connections do not report metrics')
          return
        }
        return ingestMetrics(conn, message.batch)
    }
  }

  /**
   * A refused batch is acknowledged with the error (the SDK drops it: resending cannot help) and
   * changes nothing; the socket stays up. A client key's batch before its `hello` named a user
   * has no one to attribute it to and is refused the same way.
   */
  async function ingestMetrics(conn: Connection, batch: unknown) {
    const id = typeof (batch as { id?: unknown })?.id === 'string' ? String((batch as { id: string }).id).slice(0, 128) : ''
    if (!deps.intake) return send(conn, { type: 'metrics_ack', id })
    try {
      const outcome =
        conn.key.kind === 'client'
          ? conn.user
            ? await deps.intake.fromClient(conn.environment, batch, conn.user, conn.credit)
            : missingUser()
          : await deps.intake.fromServer(conn.environment, batch)
      conn.unknownFlags += outcome.unknownFlags
      send(conn, { type: 'metrics_ack', id: outcome.id })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      conn.refusedBatches++
      send(conn, { type: 'metrics_ack', id, error: { code: error.code, message: error.message } })
    }
  }

  function missingUser(): never {
    throw new ValidationError('user: a client key reports metrics after hello names its user')
  }

  /**
   * Counts one identity (a full evaluation, and a guess at who is in which cohort) against the
   * connection's budget; over it, the socket is closed with 4429 and the SDK backs off.
   */
  function takeIdentity(conn: Connection): boolean {
    const verdict = limits.identities.take(conn.id)
    if (verdict.allowed) return true
    const perMinute = limits.settings.identitiesPerConnectionPerMinute
    conn.socket.close(CLOSE.rateLimited, `too many identities: at most ${perMinute} a minute per connection`)
    return false
  }

  function closePolicy(conn: Connection, reason: string) {
    conn.socket.close(CLOSE.policy, reason)
  }

  function open(socket: WebSocket, request: IncomingMessage, key: ApiKeyInfo, environment: string, release: () => void) {
    const conn: Connection = {
      id: randomUUID(),
      socket,
      key,
      environment,
      connectedAt: Date.now(),
      remoteAddress: request.socket.remoteAddress,
      sdk: undefined,
      sentVersion: undefined,
      appliedVersion: undefined,
      user: undefined,
      results: new Map(),
      sent: new Map(),
      alive: true,
      credit: new ClientCredit((deps.now ?? Date.now)()),
      unknownFlags: 0,
      refusedBatches: 0,
    }
    connections.set(conn.id, conn)
    watchEnvironment(environment)
    socket.on('pong', () => (conn.alive = true))
    socket.on('message', (data: RawData, isBinary: boolean) => {
      conn.alive = true
      if (isBinary) return socket.close(CLOSE.invalidPayload, 'binary frames are not part of the protocol')
      const parsed = parseClientMessage(data.toString())
      if (typeof parsed === 'string') return socket.close(CLOSE.policy, parsed.slice(0, 120))
      const failed = (error: unknown) => {
        log(`stream message from ${key.name} failed`, error)
        socket.close(1011, 'internal error')
      }
      try {
        handle(conn, parsed)?.catch(failed)
      } catch (error) {
        failed(error)
      }
    })
    // ws closes with 1009 itself on oversized frames and emits 'error'; the socket is gone either way.
    socket.on('error', () => {})
    socket.on('close', () => {
      connections.delete(conn.id)
      limits.identities.forget(conn.id)
      release()
    })
  }

  /**
   * Client keys are public: their connections are limited per remote address, in rate (a new
   * connection must not buy a fresh identity budget) and in number. Returns the release of the
   * open-connection slot, or throws 429.
   */
  function admitClient(request: IncomingMessage): () => void {
    const forwarded = request.headers['x-forwarded-for']
    const address = clientAddress({
      remoteAddress: request.socket.remoteAddress,
      forwardedFor: Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      trustedProxies: limits.settings.trustedProxies,
    })
    const { settings } = limits
    const rate = limits.connections.take(address)
    if (!rate.allowed)
      throw new TooManyRequestsError(
        `too many client-key connections from ${address}: at most ${settings.connectionsPerAddressPerMinute} a minute`,
        Math.ceil(rate.retryAfterMs / 1000),
      )
    const release = limits.open.acquire(address)
    if (!release)
      throw new TooManyRequestsError(
        `too many open client-key connections from ${address}: at most ${settings.openConnectionsPerAddress}`,
        60,
      )
    return release
  }

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = new URL(request.url ?? '/', 'http://localhost')
    let admitted: { key: ApiKeyInfo; environment: string; release: () => void }
    try {
      if (url.pathname !== STREAM_PATH) throw new RouteNotFoundError(request.method ?? 'GET', url.pathname)
      // The same key resolution, scope rules and error shape as the HTTP routes.
      const { key, environment } = await authenticateUpgrade(request, {
        keys: store.keys,
        environmentExists: (env) => rules.load(env).then(() => true, () => false),
      })
      admitted = { key, environment, release: key.kind === 'client' ? admitClient(request) : () => {} }
    } catch (error) {
      return writeUpgradeRefusal(socket, errorResponse(error, log, `upgrade ${url.pathname}`))
    }
    const { key, environment, release } = admitted
    socket.once('close', release) // the handshake may still fail; then no 'close' of a WebSocket comes
    wss.handleUpgrade(request, socket, head, (ws) => open(ws, request, key, environment, release))
  }
  server.on('upgrade', onUpgrade)

  // Guard updates for the console, coalesced: at most one per flag per second, however many
  // SDKs report, so the live chart cannot become the server's bottleneck.
  const dirty = new Set<string>()
  const stopCounts = deps.guard?.onCounts((env, flag) => dirty.add(`${env}\u0000${flag}`))
  const consoleTimer = setInterval(async () => {
    if (dirty.size === 0 || !deps.guard) return
    const items = [...dirty]
    dirty.clear()
    for (const item of items) {
      const [env, flag] = item.split('\u0000') as [string, string]
      let guard: unknown
      try {
        guard = deps.guard.status(await store.flags.getState(env, flag))
      } catch {
        continue // archived meanwhile
      }
      const frame = JSON.stringify({ type: 'guard_update', environment: env, flag, at: Date.now(), guard } satisfies ServerMessage)
      for (const conn of connections.values())
        if (conn.key.kind === 'admin' && conn.environment === env && conn.sdk !== undefined) send(conn, frame)
    }
  }, 1000)
  consoleTimer.unref()

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
     * (restart) to reconnect soon, elsewhere or to this server's successor; sockets that have
     * not finished closing after `timeoutMs` are cut off. Call `close()` after it.
     */
    async drain(timeoutMs = 2000) {
      server.off('upgrade', onUpgrade)
      const open = [...connections.values()].map(
        (conn) => new Promise<void>((resolve) => {
          if (conn.socket.readyState === conn.socket.CLOSED) return resolve()
          conn.socket.once('close', () => resolve())
          conn.socket.close(CLOSE.restart, 'server shutting down: reconnect')
        }),
      )
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all(open), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
      clearTimeout(timer)
    },
    /** Closes every socket of a revoked key at once. */
    closeKey(keyId: string) {
      for (const conn of connections.values())
        if (conn.key.id === keyId) conn.socket.close(CLOSE.revoked, 'API key revoked')
    },
    close() {
      clearInterval(heartbeat)
      clearInterval(consoleTimer)
      stopCounts?.()
      server.off('upgrade', onUpgrade)
      for (const stop of envListeners.values()) stop()
      for (const conn of connections.values()) conn.socket.terminate()
      connections.clear()
      wss.close()
    },
  }
}

export type StreamServer = ReturnType<typeof attachStream>
