import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import type { Store } from '../store/contract.ts'
import { parse, schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { shaped } from './request.ts'

/** `/api/v1/audit?flag=&env=&limit=&before=`: newest first, paged by id cursor. */
export function auditRoutes({ store }: { store: Store }) {
  return new Hono<AuthEnv>().get('/', async (c) => {
    const parsed = parse(schemas.auditQuery, c.req.query(), 'query')
    // An environment's key reads its own environment's page even when it does not say so.
    const query = { ...parsed, env: parsed.env ?? c.var.apiKey.environment ?? undefined }
    // One row more than the page: it only says whether another page follows, so the last page
    // answers nextBefore null rather than pointing at an empty page.
    const rows = await store.logs.audit({ ...query, limit: query.limit + 1 })
    const items = rows.slice(0, query.limit)
    const nextBefore = rows.length > query.limit ? items.at(-1)!.id : null
    return c.json(shaped(shapes.auditPage, { items, nextBefore }))
  })
}
