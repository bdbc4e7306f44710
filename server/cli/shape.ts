import * as z from 'zod/mini'
import { english } from '../validation.ts'
import { CliError } from './errors.ts'

/**
 * `data` as `schema` (from `api-shapes`, the shapes the routes answer with) describes
 * it, or a CliError naming the first field that did not fit. `--json` output skips this and
 * prints the body as received.
 *
 * @example
 * const state = expectShape(shapes.flagState, data, 'flag state')
 */
export function expectShape<T extends z.ZodMiniType>(schema: T, data: unknown, what: string): z.output<T> {
  const result = z.safeParse(schema, data, { error: english })
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
  throw new CliError(`unexpected ${what} from the server (${where}${issue?.message ?? 'invalid'})`)
}
