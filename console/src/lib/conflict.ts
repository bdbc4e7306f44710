import { flagState } from '../../../api-shapes/flags.ts'
import type { ApiError } from '../api/http.ts'
import type { FlagState } from '../api/types.ts'

/**
 * The newer flag state a save was refused for: a 409 carries it in `details.current`, parsed
 * like every answer. Undefined for any other failure (a 409 without a state is a plain error).
 */
export function newerState(failure: ApiError): FlagState | undefined {
  if (failure.status !== 409 || !failure.current) return undefined
  const current = flagState.safeParse(failure.current)
  if (current.success) return current.data
  console.error('console: the newer state of a 409 did not fit its shape', current.error.issues[0])
  return undefined
}
