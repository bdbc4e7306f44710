import { Hono } from 'hono'
import { requireKey, type AuthEnv, type KeyVerifier } from '../auth/api-key.ts'

/**
 * `GET /api/v1/connections`: the live SDK connections (of every replica when there are several),
 * for admin keys. `list` is handed in by main, which knows whether a replica registry exists.
 */
export function connectionRoutes({ keys, list }: { keys: KeyVerifier; list: () => Promise<unknown[]> | unknown[] }) {
  return new Hono<AuthEnv>().get('/', requireKey(keys, { kinds: ['admin'] }), async (c) => c.json({ items: await list() }))
}
