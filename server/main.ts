import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { requireKey } from './auth/api-key.ts'
import { createApp } from './app.ts'
import { bootstrap } from './bootstrap.ts'
import type { Config } from './config.ts'
import { createFlagService } from './services/flag-service.ts'
import { openDb } from './store/db.ts'
import { createStore } from './store/store.ts'
import { createEnvRules } from './stream/env-rules.ts'
import { createHub } from './stream/hub.ts'
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
}

/**
 * The composition root: config → database (migrated) → store → services → app → listen →
 * WebSocket stream. The only place that wires real I/O together.
 */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((m: string, e?: unknown) => (e ? console.error(m, e) : console.log(m)))
  const database = openDb(config.databasePath)
  const store = createStore(database.db)
  const hub = createHub((error) => log('change listener failed', error))
  const service = createFlagService({ store, hub })
  const { adminSecret } = bootstrap({ store, service }, { adminKey: config.adminKey })
  const rules = createEnvRules({ store, hub })

  // The stream needs the HTTP server, the app needs the stream (revocation, connection list).
  let stream: StreamServer | undefined
  const app = createApp({
    store,
    service,
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
  stream = attachStream(server, { store, rules, log }, options.stream)
  const port = (server.address() as AddressInfo).port
  const url = config.port === 0 ? `http://localhost:${port}` : config.publicUrl

  return {
    url,
    port,
    adminSecret,
    close: async () => {
      stream?.close()
      rules.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive HTTP connections would hold close() open; they carry no state worth waiting for.
        server.closeAllConnections()
      })
      database.close()
    },
  }
}
