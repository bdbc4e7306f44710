import { Hono } from 'hono'
import * as z from 'zod/mini'
import type { AuthEnv } from '../auth/api-key.ts'
import { ValidationError } from '../errors.ts'
import { importFile, IMPORT_SOURCES, type ImportSource } from '../services/import-service.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { ProtectedWrites } from '../services/protected-writes.ts'
import type { Store } from '../store/contract.ts'
import { envKey, parse } from '../validation.ts'

/** The largest import file (an Unleash or LaunchDarkly export of thousands of flags). */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024

const yesNo = z._default(z.enum(['true', 'false']), 'false')
const importQuery = z.strictObject({
  environment: envKey,
  dryRun: yesNo,
  overwrite: yesNo,
  sourceEnvironment: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
})

/**
 * `POST /api/v1/import/:source?environment=&dryRun=&overwrite=`: the body is the source's file
 * as it came (Unleash client features or admin export; LaunchDarkly `sdk/latest-all`). All or
 * nothing, idempotent, never replaces existing rules unless `overwrite=true`; each write audited.
 * Never into a protected environment (409), except a dry run.
 */
export function importRoutes({ store, service, protectedWrites }: { store: Store; service: FlagService; protectedWrites: ProtectedWrites }) {
  return new Hono<AuthEnv>().post('/:source', async (c) => {
    const source = c.req.param('source')
    if (!(IMPORT_SOURCES as readonly string[]).includes(source))
      throw new ValidationError(`source: ${JSON.stringify(source)} is not one of ${IMPORT_SOURCES.join(', ')}`)
    const query = parse(importQuery, c.req.query(), 'query')
    const text = await c.req.text()
    let file: unknown
    try {
      file = JSON.parse(text)
    } catch (error) {
      throw new ValidationError(`body: invalid JSON (${(error as Error).message})`)
    }
    // A dry run writes nothing; a real one into a protected environment would bypass its review.
    if (query.dryRun !== 'true') await protectedWrites.checkImport(query.environment)
    const result = await importFile({ store, service }, source as ImportSource, file, {
      environment: query.environment,
      dryRun: query.dryRun === 'true',
      overwrite: query.overwrite === 'true',
      actor: c.get('actor'),
      sourceEnvironment: query.sourceEnvironment,
    })
    return c.json(result, query.dryRun === 'true' ? 200 : 201)
  })
}
