import { createHash, randomBytes } from 'node:crypto'
import type { Cohort, FlagState, Segment } from '../../sdk/core/types.ts'
import type { ApiKeyInfo, FlagDefinition, KeyKind, StoredFlagState } from './contract.ts'

/**
 * Row ↔ contract shapes (flags, their states, segments, keys), the same for both dialects:
 * drizzle reads a SQLite row and a PostgreSQL row of these tables into the same JavaScript fields.
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

export function toSegment({ key, description, userIds, conditions, version }: Segment): Segment {
  return { key, description, userIds, conditions, version }
}

export interface KeyRowFields extends Omit<ApiKeyInfo, 'environment'> {
  envKey: string | null
}

/** A key as shown in lists: never the secret, never its hash. */
export function toKeyInfo({ id, name, kind, envKey, prefix, createdAt, revokedAt }: KeyRowFields): ApiKeyInfo {
  return { id, name, kind, environment: envKey, prefix, createdAt, revokedAt }
}

/** Keys are stored as sha256 hashes of their secrets (the same in both dialects). */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex')

/** `cf_<kind>_` + 32 random bytes (base64url): the kind is visible, the rest unguessable. */
export function newSecret(kind: KeyKind): string {
  return `cf_${kind}_${randomBytes(32).toString('base64url')}`
}
