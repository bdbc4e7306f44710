import { Hono } from 'hono'
import { announcedModes } from '../../sdk/core/bucketing-capability.ts'
import { snapshotFor, viewKey } from '../domain/bucketing-view.ts'
import type { AuthEnv } from '../auth/api-key.ts'
import { readableEnvironments } from '../auth/identity.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { jsonBody, param, shaped } from './request.ts'

/** `/api/v1/environments`: list and create. */
export function environmentRoutes({ store, service }: { store: Store; service: FlagService }) {
  return new Hono<AuthEnv>()
    // An environment's key, or a person with roles in some environments, sees those only (not
    // even others' names or versions).
    .get('/', async (c) => {
      const readable = readableEnvironments(c.get('identity'))
      const all = await store.flags.listEnvironments()
      return c.json(shaped(shapes.environmentList, { items: readable === 'all' ? all : all.filter((e) => readable.has(e.key)) }))
    })
    .post('/', async (c) => {
      const input = await jsonBody(c, schemas.createEnvironment)
      return c.json(shaped(shapes.environment, await service.createEnvironment({ key: input.key, name: input.name ?? input.key }, c.get('actor'))), 201)
    })
    // Protection needs a global admin key (app.ts): an environment's own key must not lift the
    // approvals that guard it.
    .put('/:env/protection', async (c) => {
      const { approvals } = await jsonBody(c, schemas.protection)
      return c.json(shaped(shapes.environment, await service.setProtection(param(c, 'env'), approvals, c.get('actor'))))
    })
    .delete('/:env/protection', async (c) => c.json(shaped(shapes.environment, await service.setProtection(param(c, 'env'), 0, c.get('actor')))))
}

/**
 * The snapshot an SDK can bootstrap from (`GET /environments/:env/snapshot`). Evaluation
 * (`POST …/evaluate`) is an SDK route both doors serve (hot-calls.ts).
 */
export function evaluationRoutes({ store }: { store: Store }) {
  return new Hono<AuthEnv>()
    // `?bucketing=unleash,launchdarkly`: the modes the SDK evaluates, as in its WebSocket hello
    // (absent = none); flags in other modes come unavailable (domain/bucketing-view.ts).
    .get('/snapshot', async (c) => {
      const modes = announcedModes(c.req.query('bucketing')?.split(','))
      const full = await store.snapshot(param(c, 'env'))
      const snapshot = snapshotFor(full, modes)
      // The same version reads differently per view: a cache must not mix them up.
      c.header('ETag', snapshot === full ? `"${snapshot.version}"` : `"${snapshot.version}-${viewKey(modes) || 'none'}"`)
      return c.json(snapshot)
    })
}
