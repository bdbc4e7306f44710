import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import { requireAccess, type Credentials } from '../auth/access.ts'

/**
 * `GET /api/v1/connections`: the live SDK connections (of every replica when there are several),
 * for global admins (keys and people). `list` is handed in by main, which knows whether a replica registry exists.
 */
export function connectionRoutes({ credentials, list }: { credentials: Credentials; list: () => Promise<unknown[]> | unknown[] }) {
  return new Hono<AuthEnv>().get('/', requireAccess(credentials, { action: () => 'admin' }), async (c) => c.json({ items: await list() }))
}
