import { Hono } from 'hono'
import { evaluate } from '../../sdk/core/index.ts'
import type { AuthEnv } from '../auth/api-key.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { Store } from '../store/store.ts'
import { schemas } from '../validation.ts'
import { jsonBody, param } from './request.ts'

/** `/api/v1/environments`: list and create. */
export function environmentRoutes({ store, service }: { store: Store; service: FlagService }) {
  return new Hono<AuthEnv>()
    .get('/', (c) => c.json({ items: store.flags.listEnvironments() }))
    .post('/', async (c) => {
      const input = await jsonBody(c, schemas.createEnvironment)
      return c.json(service.createEnvironment({ key: input.key, name: input.name ?? input.key }, c.var.actor), 201)
    })
}

/**
 * Server-side evaluation (`POST /environments/:env/evaluate`) through the same `sdk/core` the
 * SDKs run, and the snapshot an SDK can bootstrap from.
 */
export function evaluationRoutes({ store }: { store: Store }) {
  return new Hono<AuthEnv>()
    .post('/evaluate', async (c) => {
      const { flag, user } = await jsonBody(c, schemas.evaluate)
      const env = param(c, 'env')
      const snapshot = store.snapshot(env)
      const state = snapshot.flags.find((f) => f.key === flag)
      const segments = new Map(snapshot.segments.map((s) => [s.key, s]))
      return c.json({ flag, ...evaluate(state, user, segments) })
    })
    .get('/snapshot', (c) => {
      const snapshot = store.snapshot(param(c, 'env'))
      c.header('ETag', `"${snapshot.version}"`)
      return c.json(snapshot)
    })
}
