import { Hono, type Context } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import { authorize, readableEnvironments } from '../auth/identity.ts'
import type { ChangeRequests } from '../services/change-requests.ts'
import { parse, schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { identityOf, jsonBody, param, shaped } from './request.ts'

/**
 * `/api/v1/change-requests`: the review of writes held by protected environments. Anyone sees the
 * requests of the environments they may read; who may approve is `mayApprove` (auth/approvers.ts);
 * the rules of a request are domain/change-requests.ts.
 */
export function changeRequestRoutes({ requests }: { requests: ChangeRequests }) {
  const id = (c: Context) => parse(schemas.requestId, param(c, 'id'), 'id')
  const answer = (c: Context, request: shapes.ChangeRequest) => c.json(shaped(shapes.changeRequest, request))
  return new Hono<AuthEnv>()
    .get('/', async (c) => {
      const parsed = parse(schemas.requestQuery, c.req.query(), 'query')
      const readable = readableEnvironments(c.get('identity'))
      // Someone who reads one environment lists its requests even without saying so.
      const only = readable !== 'all' && readable.size === 1 ? [...readable][0] : undefined
      const query = { ...parsed, env: parsed.env ?? only }
      if (query.env !== undefined) authorize(c.get('identity'), { action: 'read', environment: query.env })
      // One more than the page: whether another page follows. Requests of environments the
      // identity may not read are left out (a page may then be shorter than asked).
      const rows = (await requests.list({ ...query, limit: query.limit + 1 })).filter((r) => readable === 'all' || readable.has(r.environment))
      const items = rows.slice(0, query.limit)
      return c.json(shaped(shapes.changeRequestList, { items, nextBefore: rows.length > query.limit ? items.at(-1)!.id : null }))
    })
    .get('/:id', async (c) => answer(c, await requests.get(id(c), identityOf(c))))
    .post('/:id/comments', async (c) => {
      const { text } = await jsonBody(c, schemas.requestComment)
      return answer(c, await requests.comment(id(c), identityOf(c), text))
    })
    .post('/:id/approve', async (c) => {
      const { comment } = await jsonBody(c, schemas.requestDecision)
      return answer(c, await requests.approve(id(c), identityOf(c), comment))
    })
    .post('/:id/reject', async (c) => {
      const { comment } = await jsonBody(c, schemas.requestDecision)
      return answer(c, await requests.reject(id(c), identityOf(c), comment))
    })
    .post('/:id/withdraw', async (c) => answer(c, await requests.withdraw(id(c), identityOf(c))))
    .post('/:id/apply', async (c) => {
      const { applyAt } = await jsonBody(c, schemas.requestApply)
      return answer(c, await requests.apply(id(c), identityOf(c), applyAt))
    })
}
