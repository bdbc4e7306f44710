import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import type { Store } from '../store/store.ts'
import { parse, schemas } from '../validation.ts'

/** `/api/v1/audit?flag=&env=&limit=&before=`: newest first, paged by id cursor. */
export function auditRoutes({ store }: { store: Store }) {
  return new Hono<AuthEnv>().get('/', (c) => {
    const query = parse(schemas.auditQuery, c.req.query(), 'query')
    const items = store.logs.audit(query)
    const last = items.at(-1)
    return c.json({ items, nextBefore: items.length === query.limit && last ? last.id : null })
  })
}
