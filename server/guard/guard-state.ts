import type { StoredFlagState } from '../store/contract.ts'
import type { GuardFigures, GuardRule, GuardSettings } from './decide.ts'

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

export function guardOf(state: Pick<StoredFlagState, 'guard'>): StoredGuard | null {
  const g = state.guard
  return g && typeof g === 'object' && 'maxErrorRate' in g ? (g as StoredGuard) : null
}
