import { createApp } from '../../server/app.ts'
import { bootstrap } from '../../server/bootstrap.ts'
import { composeServices } from '../../server/compose.ts'
import type { WebhookOptions } from '../../server/guard/webhook.ts'
import type { Store } from '../../server/store/contract.ts'
import { createSqliteStore } from '../../server/store/sqlite-store.ts'
import type { Change } from '../../sdk/core/changes.ts'

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef'

/**
 * The whole server stack in memory: real SQLite (`:memory:`, real migrations), real store,
 * service and Hono app, driven through `app.request()` without a port.
 */
export async function makeStack(
  options: { now?: () => number; databasePath?: string; store?: Store; webhook?: WebhookOptions; writesPerKeyPerSecond?: number; maxRulesBytes?: number } = {},
) {
  // `store`: another implementation of the contract (PostgreSQL, for a measurement).
  const store = options.store ?? createSqliteStore(options.databasePath ?? ':memory:')
  const logged: string[] = []
  const services = composeServices(store, {
    now: options.now,
    log: (message) => logged.push(message),
    // Receivers in these tests listen on loopback, which only an operator's allow-list opens.
    webhook: { timeoutMs: 300, attempts: 3, baseDelayMs: 20, allow: ['127.0.0.1'], ...options.webhook },
    writesPerKeyPerSecond: options.writesPerKeyPerSecond,
    maxRulesBytes: options.maxRulesBytes,
  })
  const { service, hub } = services
  await bootstrap({ store, service }, { adminKey: ADMIN_KEY })
  await services.guard.load()
  const app = createApp({ ...services, log: () => {} })
  const published: Array<{ env: string; change: Change }> = []
  for (const env of ['development', 'production'])
    hub.subscribe(env, (change) => published.push({ env, change }))

  /** JSON request with the admin key unless another (or none) is given. */
  async function call(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
    const key = options.key === undefined ? ADMIN_KEY : options.key
    if (key !== null) headers.authorization = `Bearer ${key}`
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
    const res = await app.request(path, { method, headers, body })
    const text = await res.text()
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null }
  }

  /** A fingerprint of everything a refused request must leave unchanged. */
  const fingerprint = async () => ({
    versions: (await store.flags.listEnvironments()).map((e) => [e.key, e.version]),
    audit: (await store.logs.audit({ limit: 1 }))[0]?.id ?? 0,
    published: published.length,
  })

  return { ...services, app, call, logged, published, fingerprint, close: async () => {
      await services.guard.close()
      await store.close()
    },
  }
}

export type Stack = Awaited<ReturnType<typeof makeStack>>
