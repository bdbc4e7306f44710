import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import { ValidationError } from '../errors.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { ProtectedWrites } from '../services/protected-writes.ts'
import type { Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { expectedVersion, jsonBody, param, shaped } from './request.ts'

/**
 * Segments of one environment: `/api/v1/environments/:env/segments`. In a protected environment
 * a segment that flags use cannot change (409, `protectedWrites`); creating one, or changing or
 * deleting one nobody uses, changes no answer and goes through.
 */
export function segmentRoutes({ store, service, protectedWrites }: { store: Store; service: FlagService; protectedWrites: ProtectedWrites }) {
  return new Hono<AuthEnv>()
    .get('/', async (c) => c.json(shaped(shapes.segmentList, { items: await store.segments.list(param(c, 'env')) })))
    .post('/', async (c) => {
      const { version: _ignored, ...input } = await jsonBody(c, schemas.segment)
      const segment = await service.putSegment(param(c, 'env'), input, { actor: c.get('actor'), create: true })
      return c.json(shaped(shapes.segment, segment), 201)
    })
    .get('/:key', async (c) => c.json(shaped(shapes.segment, await store.segments.get(param(c, 'env'), param(c, 'key')))))
    .put('/:key', async (c) => {
      const { version, ...input } = await jsonBody(c, schemas.segment)
      if (input.key !== param(c, 'key'))
        throw new ValidationError(`key: ${input.key} does not match the path's ${param(c, 'key')}`)
      await protectedWrites.checkSegmentPut(param(c, 'env'), input)
      const segment = await service.putSegment(param(c, 'env'), input, {
        actor: c.get('actor'),
        create: false,
        expectedVersion: expectedVersion(c, version),
      })
      return c.json(shaped(shapes.segment, segment))
    })
    .delete('/:key', async (c) => {
      await service.removeSegment(param(c, 'env'), param(c, 'key'), c.get('actor'))
      return c.body(null, 204)
    })
}
