import type { GuardFigures, GuardRule, GuardSettings } from '../../api-shapes/index.ts'

/** What a trip froze: shown in the console banner, the audit entry and sent to the webhook. */
export interface TripRecord {
  at: number
  rule: GuardRule
  /** `mixture`: the test since the start crossed ln(1/α); `change`: the change detector fired. */
  test: 'mixture' | 'change'
  limit: number
  figures: GuardFigures
}

/** The guard JSON stored on a flag state: its settings and the last trip. */
export interface StoredGuard extends GuardSettings {
  lastTrip?: TripRecord | null
}

/** The stored guard JSON of a flag state read back as a guard, or null when there is none. */
export function guardOf(state: { guard: unknown }): StoredGuard | null {
  const g = state.guard
  return g && typeof g === 'object' && 'maxErrorRate' in g ? (g as StoredGuard) : null
}
