import { createHash, randomBytes } from 'node:crypto'
import type { Change } from '../../sdk/core/changes.ts'
import type { Cohort, FlagState, Segment } from '../../sdk/core/types.ts'
import { change } from '../../api-shapes/changes.ts'
import { storedGuard } from '../../api-shapes/guard.ts'
import { plan } from '../../api-shapes/plan.ts'
import { storedJson } from '../domain/stored-json.ts'
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
  /** Stored JSON, parsed by `toState` (a value that does not parse is a StoredDataError). */
  guard: unknown
  plan: unknown
  version: number
  updatedAt: number
}

export type FlagRowFields = FlagDefinition

/**
 * A state row with its flag's client visibility (a per-flag setting every state carries). The
 * guard and plan JSON are parsed here, at the store boundary: a stored value that is not a guard
 * or a plan is a StoredDataError naming the state, never a cast.
 */
export function toState(row: StateRowFields, clientSide: boolean): StoredFlagState {
  const where = `of flag ${row.flagKey} in ${row.envKey}`
  return {
    key: row.flagKey,
    clientSide,
    environment: row.envKey,
    enabled: row.enabled,
    salt: row.salt,
    stickiness: row.stickiness,
    cohorts: row.cohorts,
    version: row.version,
    guard: row.guard == null ? null : storedJson(storedGuard, row.guard, `guard ${where}`),
    plan: row.plan == null ? null : storedJson(plan, row.plan, `plan ${where}`),
    updatedAt: row.updatedAt,
  }
}

/** A change log row's change, parsed: a stored value that is not a change is a StoredDataError naming the row. */
export function toChange(envKey: string, row: { version: number; change: unknown }): Change {
  return storedJson(change, row.change, `change ${row.version} of environment ${envKey}`)
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

/**
 * What a key list shows to tell keys apart besides their names: a fixed marker that is not
 * secret. Generated keys show their kind prefix `cf_<kind>_` (the same for every key of that
 * kind); an operator-chosen key (`CANARY_ADMIN_KEY`) shows `operator`. Never a part of the
 * random secret: the first characters of a short operator key are half of it.
 */
export function keyMarker(secret: string, kind: KeyKind): string {
  return secret.startsWith(`cf_${kind}_`) ? `cf_${kind}_` : 'operator'
}

/** `cf_<kind>_` + 32 random bytes (base64url): the kind is visible, the rest unguessable. */
export function newSecret(kind: KeyKind): string {
  return `cf_${kind}_${randomBytes(32).toString('base64url')}`
}
