import type { StoredGuard } from '../../api-shapes/guard.ts'

export type { StoredGuard, TripRecord } from '../../api-shapes/guard.ts'

/**
 * A flag state's guard, or null when it has none. The store parses the stored guard JSON with
 * `storedGuard` (api-shapes/guard.ts) when it reads a state, so this is already typed: new code
 * reads `state.guard`. Kept for server/guard (guard-service.ts, rollout-planner.ts) while the
 * guard service is being split.
 */
export const guardOf = (state: { guard: StoredGuard | null }): StoredGuard | null => state.guard
