import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import type { Store } from '../store/store.ts'
import { parse, schemas } from '../validation.ts'
import * as shapes from '../api-shapes/index.ts'
import { shaped } from './request.ts'

/** `/api/v1/audit?flag=&env=&limit=&before=`: newest first, paged by id cursor. */
export function auditRoutes({ store }: { store: Store }) {
  return new Hono<AuthEnv>().get('/', async (c) => {
    const parsed = parse(schemas.auditQuery, c.req.query(), 'query')
    // An environment's key reads its own environment's page even when it does not say so.
    const query = { ...parsed, env: parsed.env ?? c.var.apiKey.environment ?? undefined }
    const items = await store.logs.audit(query)
    const last = items.at(-1)
    return c.json(shaped(shapes.auditPage, { items, nextBefore: items.length === query.limit && last ? last.id : null }))
  })
}
