import type { Cohort, FlagState } from '../../sdk/core/types.ts'
import type { FlagDefinition, StoredFlagState } from './contract.ts'

/**
 * Row ↔ contract shapes of flags and their states, the same for both dialects: drizzle reads a
 * SQLite row and a PostgreSQL row of these tables into the same JavaScript fields.
 */
export interface StateRowFields {
  flagKey: string
  envKey: string
  enabled: boolean
  salt: string
  stickiness: string
  cohorts: Cohort[]
  guard: unknown
  plan: unknown
  version: number
  updatedAt: number
}

export type FlagRowFields = FlagDefinition

/** A state row with its flag's client visibility (a per-flag setting every state carries). */
export function toState(row: StateRowFields, clientSide: boolean): StoredFlagState {
  return {
    key: row.flagKey,
    clientSide,
    environment: row.envKey,
    enabled: row.enabled,
    salt: row.salt,
    stickiness: row.stickiness,
    cohorts: row.cohorts,
    version: row.version,
    guard: row.guard ?? null,
    plan: row.plan ?? null,
    updatedAt: row.updatedAt,
  }
}

export function toDefinition({ key, description, tags, clientSide, createdAt, updatedAt }: FlagRowFields): FlagDefinition {
  return { key, description, tags, clientSide, createdAt, updatedAt }
}

/** The evaluation rules and client visibility: what is streamed and snapshotted. */
export function rulesOf(state: StoredFlagState): FlagState {
  const { key, enabled, salt, stickiness, cohorts, version, clientSide } = state
  return { key, enabled, salt, stickiness, cohorts, version, clientSide }
}
