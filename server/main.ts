import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { requireKey } from './auth/api-key.ts'
import { createApp } from './app.ts'
import { bootstrap } from './bootstrap.ts'
import type { Config } from './config.ts'
import { composeServices, type ComposeOptions } from './services/compose.ts'
import { openDb } from './store/db.ts'
import { attachStream, type StreamOptions, type StreamServer } from './stream/stream-server.ts'

export interface RunningServer {
  url: string
  port: number
  /** Printed once on first start (or when CANARY_ADMIN_KEY created it). */
  adminSecret: string | undefined
  close: () => Promise<void>
}

export interface ServerOptions {
  log?: (message: string, error?: unknown) => void
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
}

/**
 * The composition root: config → database (migrated) → store → services → app → listen →
 * WebSocket stream. The only place that wires real I/O together.
 */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((m: string, e?: unknown) => (e ? console.error(m, e) : console.log(m)))
  const database = openDb(config.databasePath)
  const services = composeServices(database.db, {
    log,
    now: options.now,
    webhook: options.webhook,
    clientLimits: { ...config.clientLimits, ...options.clientLimits },
  })
  const { store, service, rules, guard, planner, now } = services
  const { adminSecret } = bootstrap({ store, service }, { adminKey: config.adminKey })

  // The stream needs the HTTP server, the app needs the stream (revocation, connection list).
  let stream: StreamServer | undefined
  const app = createApp({
    ...services,
    log,
    onRevoke: (keyId) => stream?.closeKey(keyId),
    extend: (api) => {
      api.get('/api/v1/connections', requireKey(store.keys, { kinds: ['admin'] }), (c) =>
        c.json({ items: stream?.list() ?? [] }),
      )
    },
  })

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }) as Server
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  stream = attachStream(server, { store, rules, log, guard, intake: services.intake, now, clientLimits: services.clientLimits }, options.stream)

  // Windows slide and plans fall due without any request arriving.
  const retentionMs = options.metricsRetentionMs ?? 30 * 24 * 3_600_000
  let ticks = 0
  const timer = setInterval(() => {
    try {
      guard.tick()
      planner.tick()
      if (ticks++ % 3600 === 0) store.metrics.prune(now() - retentionMs)
    } catch (error) {
      log('guard tick failed', error)
    }
  }, options.tickMs ?? 1000)
  timer.unref()
  const port = (server.address() as AddressInfo).port
  const url = config.publicUrl || `http://localhost:${port}`

  return {
    url,
    port,
    adminSecret,
    close: async () => {
      clearInterval(timer)
      stream?.close()
      rules.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive HTTP connections would hold close() open; they carry no state worth waiting for.
        server.closeAllConnections()
      })
      await guard.settle()
      guard.close()
      database.close()
    },
  }
}
