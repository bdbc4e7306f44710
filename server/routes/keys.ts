import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import { ValidationError } from '../errors.ts'
import type { Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { jsonBody, param, shaped } from './request.ts'

/**
 * API keys: `/api/v1/keys`. The secret is in the creation response only. `onRevoke` lets the
 * stream close the key's live sockets at once.
 */
export function keyRoutes({ store, onRevoke }: { store: Store; onRevoke: (keyId: string) => void }) {
  return new Hono<AuthEnv>()
    .get('/', async (c) => c.json(shaped(shapes.keyList, { items: await store.keys.list() })))
    .post('/', async (c) => {
      const input = await jsonBody(c, schemas.createKey)
      const environment = input.environment ?? null
      if (input.kind !== 'admin' && environment === null)
        throw new ValidationError(`environment: a ${input.kind} key needs an environment`)
      if (environment !== null) await store.flags.getEnvironment(environment)
      const { key, secret } = await store.keys.create({ name: input.name, kind: input.kind, environment }, c.get('actor'))
      return c.json(shaped(shapes.createdKey, { ...key, secret }), 201)
    })
    .delete('/:id', async (c) => {
      const key = await store.keys.revoke(param(c, 'id'), c.get('actor'))
      onRevoke(key.id)
      return c.json(shaped(shapes.apiKey, key))
    })
}
