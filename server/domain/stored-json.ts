import * as z from 'zod/mini'
import { StoredDataError } from '../errors.ts'
import { english } from '../validation.ts'

/**
 * Stored JSON read back as `schema` says, or a StoredDataError naming `what` (the row) and the
 * first field that did not fit. The one way stored JSON becomes a typed value: no casts.
 *
 * @example
 * const guard = storedJson(storedGuard, row.guard, `guard of flag ${row.flagKey} in ${row.envKey}`)
 */
export function storedJson<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = z.safeParse(schema, value, { error: english })
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : ''
  throw new StoredDataError(`stored ${what} is not valid (${where}${issue?.message ?? 'invalid'})`, {
    issues: result.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
  })
}
