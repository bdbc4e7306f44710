import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createApp } from './app.ts'
import { bootstrap } from './bootstrap.ts'
import type { Config } from './config.ts'
import { createFlagService } from './services/flag-service.ts'
import { openDb } from './store/db.ts'
import { createStore } from './store/store.ts'
import { createHub } from './stream/hub.ts'

export interface RunningServer {
  url: string
  port: number
  /** Printed once on first start (or when CANARY_ADMIN_KEY created it). */
  adminSecret: string | undefined
  close: () => Promise<void>
}

/**
 * The composition root: config → database (migrated) → store → services → app → listen.
 * The only place that wires real I/O together.
 */
export async function startServer(
  config: Config,
  log: (message: string, error?: unknown) => void = (m, e) => (e ? console.error(m, e) : console.log(m)),
): Promise<RunningServer> {
  const database = openDb(config.databasePath)
  const store = createStore(database.db)
  const hub = createHub((error) => log('change listener failed', error))
  const service = createFlagService({ store, hub })
  const { adminSecret } = bootstrap({ store, service }, { adminKey: config.adminKey })
  const app = createApp({ store, service, log })

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const port = (server.address() as AddressInfo).port
  const url = config.port === 0 ? `http://localhost:${port}` : config.publicUrl

  return {
    url,
    port,
    adminSecret,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive HTTP connections would hold close() open; they carry no state worth waiting for.
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
      database.close()
    },
  }
}
