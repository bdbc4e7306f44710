import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import { authorize } from '../auth/identity.ts'
import { streamPrincipal } from '../auth/stream-tickets.ts'
import type { StreamTickets } from '../auth/stream-tickets.ts'
import type { Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { jsonBody, shaped } from './request.ts'

/**
 * `POST /api/v1/stream-tickets`: the console's way onto the stream without its key in the URL
 * (auth/stream-tickets.ts). The key or personal token comes in `Authorization`, or the session
 * in its cookie; a ticket is for an environment the identity may read, as on the upgrade itself.
 */
export function streamTicketRoutes({ store, tickets }: { store: Store; tickets: StreamTickets }) {
  return new Hono<AuthEnv>().post('/', async (c) => {
    const { environment } = await jsonBody(c, schemas.streamTicket)
    authorize(c.get('identity'), { action: 'read', environment })
    await store.flags.getEnvironment(environment) // 404 for an unknown one
    const principal = streamPrincipal(c.get('identity'), environment)
    return c.json(shaped(shapes.streamTicket, { ...tickets.issue(principal, environment), environment }), 201)
  })
}
