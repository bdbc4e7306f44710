import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import { authorize, readableEnvironments } from '../auth/identity.ts'
import type { Store } from '../store/contract.ts'
import { parse, schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { shaped } from './request.ts'

/**
 * `/api/v1/audit?flag=&env=&actor=&limit=&before=`: newest first, paged by id cursor. A reader
 * who may not read every environment (an environment's key, a person with some roles) sees
 * the rows of their environments only, never the server-wide ones (keys, people).
 */
export function auditRoutes({ store }: { store: Store }) {
  return new Hono<AuthEnv>().get('/', async (c) => {
    const query = parse(schemas.auditQuery, c.req.query(), 'query')
    if (query.env !== undefined) authorize(c.get('identity'), { action: 'read', environment: query.env })
    const readable = readableEnvironments(c.get('identity'))
    const envs = query.env === undefined && readable !== 'all' ? [...readable] : undefined
    // One row more than the page: it only says whether another page follows, so the last page
    // answers nextBefore null rather than pointing at an empty page.
    const rows = await store.logs.audit({ ...query, envs, limit: query.limit + 1 })
    const items = rows.slice(0, query.limit)
    const nextBefore = rows.length > query.limit ? items.at(-1)!.id : null
    return c.json(shaped(shapes.auditPage, { items, nextBefore }))
  })
}
