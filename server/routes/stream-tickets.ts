import { Hono } from 'hono'
import { authorize, type AuthEnv } from '../auth/api-key.ts'
import type { StreamTickets } from '../auth/stream-tickets.ts'
import type { Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { jsonBody, shaped } from './request.ts'

/**
 * `POST /api/v1/stream-tickets`: the console's way onto the stream without its key in the URL
 * (auth/stream-tickets.ts). The key comes in `Authorization`; an environment's admin key gets
 * tickets for its own environment only, as on the upgrade itself.
 */
export function streamTicketRoutes({ store, tickets }: { store: Store; tickets: StreamTickets }) {
  return new Hono<AuthEnv>().post('/', async (c) => {
    const { environment } = await jsonBody(c, schemas.streamTicket)
    authorize(c.var.apiKey, { kinds: ['admin'], environment })
    await store.flags.getEnvironment(environment) // 404 for an unknown one
    return c.json(shaped(shapes.streamTicket, { ...tickets.issue(c.var.apiKey, environment), environment }), 201)
  })
}
