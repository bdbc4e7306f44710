import { randomBytes } from 'node:crypto'
import { createServer, type RequestListener, type Server } from 'node:http'
import { hostname } from 'node:os'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { pino } from 'pino'
import { createHttp } from './app.ts'
import { createSso } from './auth/sso.ts'
import type { SsoConfig } from './auth/sso-config.ts'
import { bootstrap } from './bootstrap.ts'
import { DEFAULT_HOST, operatorKeyWarning, type Config } from './config.ts'
import { observeChanges } from './observability/change-observer.ts'
import { httpObservations, type HttpObservations } from './observability/http-observer.ts'
import { hotLane } from './node-http/hot-lane.ts'
import { metricsPortHandler } from './observability/metrics-port.ts'
import { logFunction, type Logger } from './observability/logger.ts'
import { createMetrics, type Metrics } from './observability/metrics.ts'
import { countBatches } from './observability/count-batches.ts'
import { metricsSources } from './observability/sources.ts'
import { composeServices, type ComposeOptions } from './compose.ts'
import { startChangeFeed, type ChangeFeed } from './replication/change-feed.ts'
import { startConnectionRegistry, type ConnectionRegistry } from './replication/connection-registry.ts'
import { startLeaderLock, type LeaderLock } from './replication/leader-lock.ts'
import { connectionRoutes } from './routes/connections.ts'
import { prometheusRoutes } from './routes/prometheus.ts'
import { createGuardTicker } from './guard/ticker.ts'
import { openStore } from './store/open-store.ts'
import type { Store } from './store/contract.ts'
import { attachStream, type StreamOptions, type StreamServer } from './stream/stream-server.ts'

export interface RunningServer {
  /**
   * The URL for people and SDKs: `PUBLIC_URL`, else the bound address (loopback when bound to
   * every interface, which is no address to connect to).
   */
  url: string
  /** The address actually bound, as a URL: `http://127.0.0.1:4242`, `http://0.0.0.0:4242`. */
  listening: string
  port: number
  /** The port serving `/metrics` without a key, when `config.metricsPort` asked for one. */
  metricsPort: number | undefined
  /** Where `/metrics` is bound when `config.metricsPort` asked for a port of its own. */
  metricsListening: string | undefined
  /** Printed once on first start (or when CANARY_ADMIN_KEY created it). */
  adminSecret: string | undefined
  /**
   * Graceful shutdown: stop accepting, tell SDKs to reconnect (close code 1012), finish the
   * guard's pending work, close the database.
   */
  close: () => Promise<void>
}

export interface ServerOptions {
  /** Structured logger (requests, changes, warnings); silent when not given. */
  logger?: Logger
  /** Plain log function for services; defaults to `logger` at info/error. */
  log?: (message: string, error?: unknown) => void
  /** Prometheus metrics; a fresh registry per server when not given. */
  metrics?: Metrics
  stream?: StreamOptions
  /** Clock of guard windows and plans; tests pass a hand-moved one. */
  now?: () => number
  /** How often the guard re-judges windows and plans take due steps. */
  tickMs?: number
  webhook?: ComposeOptions['webhook']
  /** Per-minute guard aggregates older than this are deleted (default 30 days). */
  metricsRetentionMs?: number
  /** Client-key rate limits (tests lower them); override the config's. */
  clientLimits?: ComposeOptions['clientLimits']
  /** The bound of one environment's rules in bytes (overrides the config's). */
  maxRulesBytes?: number
  /** Admin API writes per key per second (overrides the config's; tests that write in bulk raise it). */
  writesPerKeyPerSecond?: number
  /** How often open connections' keys are re-checked against the store; overrides the config's. */
  keyRecheckMs?: number
  /** OFREP event-stream token lifetime and streams per token; override the config's. */
  ofrepStreams?: ComposeOptions['ofrepStreams']
  /** Replicas: how often the version check and the leader-lock attempt run (default 1 s). */
  replicationCheckMs?: number
  /** The scrypt cost of new password hashes (tests lower it; the default is auth/password.ts's). */
  passwordCost?: ComposeOptions['passwordCost']
  /** Failed sign-in delays (tests inject `sleep`). */
  signInThrottle?: ComposeOptions['signInThrottle']
  /** Single sign-on (overrides the config's; tests point it at their own provider). */
  sso?: SsoConfig
  /** Password sign-in refused (overrides the config's). */
  ssoOnly?: boolean
}

/** A bound address as it goes in a URL (IPv6 in brackets). */
const urlHost = (address: string) => (address.includes(':') ? `[${address}]` : address)

/** Bound to every interface: no address to connect to, so people get loopback of that family. */
const connectable = (address: string) => (address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address)

/** Pending connections the kernel may queue for this server (Node's default is 511). */
const LISTEN_BACKLOG = 4096

const listen = async (server: Server) =>
  new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })

/** The hot lane answers the routes called many times a second (node-http/hot-lane.ts); hono everything else. */
function requestListener(parts: ReturnType<typeof createHttp> & { observations: HttpObservations; log: (message: string, error?: unknown) => void }): RequestListener {
  const honoListener = getRequestListener(parts.app.fetch)
  const take = hotLane({ routes: parts.hotRoutes, authFailures: parts.authFailures, observe: parts.observations.record, log: parts.log })
  return (req, res) => {
    if (!take(req, res)) void honoListener(req, res)
  }
}

/**
 * The composition root: config → database (migrated) → store → services → app → listen →
 * WebSocket stream, plus logs and metrics. The only place that wires real I/O together.
 */
/** The leader's hourly clean-up: old minute counts, expired sessions, and audit entries past a set retention. */
async function pruneOld({ store, now, retentionMs, auditRetentionDays, log }: { store: Store; now: () => number; retentionMs: number; auditRetentionDays: number | undefined; log: (message: string) => void }) {
  await store.metrics.prune(now() - retentionMs)
  // Expired sessions are refused already; deleting them keeps the table to the live ones.
  await store.people.pruneSessions(Date.now())
  // Off by default: the audit log stays append-only until an operator sets a retention.
  if (auditRetentionDays !== undefined) {
    const deleted = await store.logs.pruneAudit(Date.now() - auditRetentionDays * 86_400_000)
    if (deleted > 0) log(`audit retention: deleted ${deleted} entries older than ${auditRetentionDays} days`)
  }
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' })
  const log = options.log ?? logFunction(logger)
  const metrics = options.metrics ?? createMetrics()
  // PostgreSQL when DATABASE_URL names one (replicas share it), else the embedded SQLite file.
  const store = await openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.databasePath, log })
  // On PostgreSQL this process is one replica of any number sharing the database.
  const cluster = config.databaseUrl ? store.cluster : undefined
  const services = composeServices(store, {
    log,
    now: options.now,
    webhook: { ...config.webhook, ...options.webhook },
    clientLimits: { ...config.clientLimits, ...options.clientLimits },
    cluster,
    maxRulesBytes: options.maxRulesBytes ?? config.maxRulesBytes,
    writesPerKeyPerSecond: options.writesPerKeyPerSecond ?? config.writesPerKeyPerSecond,
    passwordCost: options.passwordCost,
    signInThrottle: options.signInThrottle,
    ofrepStreams: { ...config.ofrepStreams, ...options.ofrepStreams },
  })
  const { service, rules, guard, planner, now, hub, keys } = services
  // Every key once into memory; from here on requests check keys without SQL.
  await keys.recheck()
  const replicaId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  // Replicas: the other replicas' changes reach this hub in order (LISTEN + version check), and
  // the replica holding the leader lock runs the guard's decisions and the plans' steps.
  let feed: ChangeFeed | undefined
  let leader: LeaderLock | undefined
  const retentionMs = options.metricsRetentionMs ?? 30 * 24 * 3_600_000
  const ticker = createGuardTicker({
    guard,
    // Plans' steps and change requests whose scheduled time came: the leader's work, once per tick.
    planner: { tick: () => planner.tick().then(services.requests.applyDue) },
    isLeader: () => leader?.isLeader() ?? true,
    pruneMetrics: () => pruneOld({ store, now, retentionMs, auditRetentionDays: config.auditRetentionDays, log }),
    log,
  })
  if (cluster && config.databaseUrl && services.sequencer) {
    const checkMs = options.replicationCheckMs ?? 1000
    feed = await startChangeFeed({ databaseUrl: config.databaseUrl, store, sequencer: services.sequencer, keys, log, checkMs })
    leader = startLeaderLock({
      databaseUrl: config.databaseUrl,
      log,
      retryMs: checkMs,
      onChange: (leading) => ticker.leadershipChanged(leading),
    })
  }
  // Batches are counted where both transports (HTTP and WebSocket) hand them to the guard.
  const intake = countBatches(services.intake, metrics)
  // Replicas starting together on an empty database take turns: one creates, the others find it.
  const firstStart = () => bootstrap({ store, service }, { adminKey: config.adminKey })
  const { adminSecret, warning } = await (cluster ? cluster.exclusively(firstStart) : firstStart())
  if (warning) logger.warn(warning)
  const weakKey = operatorKeyWarning(config.adminKey)
  if (weakKey) logger.warn(weakKey)
  await guard.load()
  const stopObserving = observeChanges({ hub, logs: store.logs, logger, metrics, localCommits: services.onLocalCommit })

  // The stream needs the HTTP server, the app needs the stream (revocation, connection list).
  let stream: StreamServer | undefined
  let registry: ConnectionRegistry | undefined
  const ssoConfig = options.sso ?? config.sso
  let boundUrl = ''
  const observations = httpObservations({ logger, metrics })
  const { app, hotRoutes, authFailures } = createHttp({
    ...services,
    sso: ssoConfig && createSso(ssoConfig, () => config.publicUrl || boundUrl),
    ssoOnly: options.ssoOnly ?? config.ssoOnly ?? false,
    intake,
    log,
    observe: observations.middleware,
    extend: (api) => {
      const list = async () => (registry ? await registry.list() : (stream?.list() ?? []))
      api.route('/api/v1/connections', connectionRoutes({ credentials: services.credentials, list }))
      if (config.metricsPort === undefined) api.route('/metrics', prometheusRoutes({ keys: services.keys, metrics }))
    },
  })

  const server = createServer(requestListener({ app, hotRoutes, authFailures, observations, log }))
  // SDKs told to reconnect after a restart arrive thousands a second (spread, see
  // stream-server.ts): a deep accept queue holds a burst instead of dropping its SYNs, which
  // clients would resend only 1, 3, 7 s later. The kernel caps it at net.core.somaxconn.
  server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG })
  await listen(server)
  stream = attachStream(
    server,
    { store, keys, tickets: services.tickets, rules, log, guard, intake, now, clientLimits: services.clientLimits, metrics },
    { compression: config.streamCompression ?? true, reconnectRate: config.reconnectRate, ...options.stream },
  )
  // Revoked here or on another replica: the key's sockets close at once (its OFREP streams: app.ts).
  keys.onRevoked((isRevoked) => stream?.closeRevoked(isRevoked))
  keys.onRightsChanged((isAffected) => stream?.closeRightsChanged(isAffected))
  keys.start(options.keyRecheckMs ?? config.keyRecheckMs)
  metrics.setSources(metricsSources({ store, guard, connections: () => stream?.counts() ?? [] }))
  if (cluster) registry = startConnectionRegistry({ cluster, replicaId, local: () => stream?.list() ?? [], log })

  // A separate port for Prometheus, without a key: bind it where only the scraper reaches.
  let metricsServer: Server | undefined
  if (config.metricsPort !== undefined) {
    metricsServer = createServer(
      metricsPortHandler({ render: () => metrics.render(), contentType: metrics.contentType, allowedHosts: config.metricsAllowedHosts ?? [], log }),
    ).listen(config.metricsPort, config.metricsHost ?? DEFAULT_HOST)
    await listen(metricsServer)
  }

  ticker.start(options.tickMs ?? 1000)
  const bound = server.address() as AddressInfo
  const port = bound.port
  const url = config.publicUrl || `http://${urlHost(connectable(bound.address))}:${port}`
  boundUrl = url

  return {
    url,
    listening: `http://${urlHost(bound.address)}:${port}`,
    port,
    metricsPort: metricsServer ? (metricsServer.address() as AddressInfo).port : undefined,
    metricsListening: metricsServer
      ? `http://${urlHost((metricsServer.address() as AddressInfo).address)}:${(metricsServer.address() as AddressInfo).port}/metrics`
      : undefined,
    adminSecret,
    close: async () => {
      // No tick starts from here on; the one running (if any) is awaited after the guard settles.
      const lastTick = ticker.stop()
      await keys.close()
      // Stop accepting first: no new request or upgrade may start while the rest winds down.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await feed?.close()
      await stream?.drain()
      stream?.close()
      rules.close()
      // Keep-alive HTTP connections would hold close() open; they carry no state worth waiting for.
      server.closeIdleConnections()
      server.closeAllConnections()
      await closed
      metricsServer?.closeAllConnections()
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()))
      // Batches already accepted are written before the database closes.
      await guard.settle()
      await lastTick
      // Released at once (not when the session times out), so another replica leads right away.
      await leader?.close()
      await registry?.close()
      await guard.close()
      stopObserving()
      await store.close()
    },
  }
}
