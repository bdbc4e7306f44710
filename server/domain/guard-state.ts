import type { StoredGuard } from '../../api-shapes/guard.ts'

export type { StoredGuard, TripRecord } from '../../api-shapes/guard.ts'

/**
 * A flag state's guard, or null when it has none. The store parses the stored guard JSON with
 * `storedGuard` (api-shapes/guard.ts) when it reads a state, so this is already typed: new code
 * reads `state.guard`. Kept for the callers in server/guard (another engineer's area), to be
 * inlined there.
 */
export const guardOf = (state: { guard: StoredGuard | null }): StoredGuard | null => state.guard
