import { emptyEvidence, isCounter } from '../../sdk/core/metrics.ts'
import type { Change } from '../../sdk/core/changes.ts'
import type { Cohort, Segment } from '../../sdk/core/types.ts'
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts'
import { changedFields } from '../domain/changed-fields.ts'
import { usesSegment } from '../domain/segment-use.ts'
import type {
  ApiKeyInfo,
  DefinitionPatch,
  FlagDefinition,
  KeyKind,
  MinuteCount,
  MinuteRow,
  SegmentInput,
  StatePatch,
  StateUpdate,
  StoredFlagState,
} from './contract.ts'
import { hashSecret, keyMarker, rulesOf, type KeyRowFields } from './rows.ts'

/**
 * The store's decisions, written once for both dialects. Every mutation is read → decide →
 * write: a dialect reads (and locks) what it needs, hands it to a function here, and writes
 * what comes back. These functions are pure: no database, no clock (time comes in as `now`),
 * so they run unchanged under SQLite's single writer and inside PostgreSQL's row locks, and
 * `test/store/decisions.test.ts` checks them without a database.
 *
 * A function either refuses (throws `NotFoundError`, `ConflictError` or `ValidationError` from
 * `server/errors.ts`, before anything was written) or returns what to write: the values, the
 * change to publish and its audit entry.
 *
 * @example
 * const row = await readLocked(tx, envKey, key)
 * const patch = decideStateUpdate(row, options)        // refusals and the caller's update
 * const after = await write(tx, patch, version)
 * const { change, audit } = stateUpdated(row, after, options)
 * await recordEnvChange(tx, envKey, change, audit)
 */

/** How many changes per environment are kept for resuming SDKs; older ones get a snapshot. */
export const CHANGE_LOG_KEEP = 1000

/** One audit row as a mutation decides it; the dialect adds the environment version. */
export interface AuditEntry {
  actor: string
  action: string
  flagKey?: string | null
  envKey?: string | null
  before?: unknown
  after?: unknown
  details?: unknown
}

/** Fields an audit side keeps even when unchanged: what the entry is about. */
const AUDIT_IDENTITY: ReadonlySet<string> = new Set(['key', 'id', 'name', 'kind', 'environment'])

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Audit entries are stored compactly: when both sides are objects, each keeps only the fields
 * that changed (compared as JSON) plus what names the thing changed, so widening one cohort or
 * turning a flag off does not store the untouched cohort lists twice. The console and
 * `canary audit` show the changed fields, which these are.
 *
 * @example
 * compactSides({ key: 'a', enabled: true, cohorts: big }, { key: 'a', enabled: false, cohorts: big })
 * // [{ key: 'a', enabled: true }, { key: 'a', enabled: false }]
 */
export function compactSides(before: unknown, after: unknown): [unknown, unknown] {
  if (!isRecord(before) || !isRecord(after)) return [before, after]
  const fields = new Set([...Object.keys(before), ...Object.keys(after)])
  const kept = [...fields].filter((f) => AUDIT_IDENTITY.has(f) || JSON.stringify(before[f]) !== JSON.stringify(after[f]))
  const pick = (side: Record<string, unknown>) => Object.fromEntries(kept.filter((f) => f in side).map((f) => [f, side[f]]))
  return [pick(before), pick(after)]
}

/** The audit log row of an entry: absent fields are null; `version` is the one the change produced. */
export function auditRow(entry: AuditEntry, version: number | null) {
  const [before, after] = compactSides(entry.before ?? null, entry.after ?? null)
  return {
    actor: entry.actor,
    action: entry.action,
    flagKey: entry.flagKey ?? null,
    envKey: entry.envKey ?? null,
    version,
    before,
    after,
    details: entry.details ?? null,
  }
}

/** A versioned change to one environment's rules and the audit row that goes with it. */
export interface Decided {
  change: Change
  audit: AuditEntry
}

/** What a missing thing is called in its `NotFoundError` (one wording for both dialects). */
export const missing = {
  environment: (envKey: string) => new NotFoundError(`environment ${envKey}`),
  flag: (key: string) => new NotFoundError(`flag ${key}`),
  state: (envKey: string, key: string) => new NotFoundError(`flag ${key} in environment ${envKey}`),
  segment: (envKey: string, key: string) => new NotFoundError(`segment ${key} in environment ${envKey}`),
  key: (id: string) => new NotFoundError(`key ${id}`),
}

/** The messages of uniqueness clashes (PostgreSQL also uses them for a concurrent creator's win). */
export const alreadyExists = {
  environment: (envKey: string) => `environment ${envKey} already exists`,
  flag: (key: string) => `flag ${key} already exists`,
}

/**
 * The value, or the NotFoundError `notFound` makes when the read found nothing. A function, so
 * a read that finds its row builds no error (an error captures a stack trace: about a sixth of
 * an admin GET of a flag state when built on every call).
 */
export function found<T>(value: T | undefined, notFound: () => NotFoundError): T {
  if (value === undefined) throw notFound()
  return value
}

// Environments

/** Creating an environment: refused when one has the key; else its audit entry. */
export function decideCreateEnvironment(
  input: { key: string; name: string },
  exists: boolean,
  actor: string,
): AuditEntry {
  if (exists) throw new ConflictError(alreadyExists.environment(input.key))
  return { actor, action: 'environment.create', envKey: input.key, after: input }
}

// Flags

/**
 * Creating a flag: refused while a live flag has the key. An archived flag with the key is
 * removed first (`replaceArchived`): reusing a key starts from scratch, its old rules must not
 * come back.
 */
export function decideCreateFlag(
  input: { key: string; description: string; tags: string[]; clientSide: boolean },
  existing: { archivedAt: number | null } | undefined,
  actor: string,
): { replaceArchived: boolean; audit: AuditEntry } {
  if (existing && existing.archivedAt === null) throw new ConflictError(alreadyExists.flag(input.key))
  return {
    replaceArchived: existing !== undefined,
    audit: { actor, action: 'flag.create', flagKey: input.key, after: input },
  }
}

/** The change and audit entry of a new (off, rule-less) state, as written. */
export function stateCreated(state: StoredFlagState, actor: string): Decided {
  return {
    change: { type: 'flag', version: state.version, flag: rulesOf(state) },
    audit: { actor, action: 'flag.state.create', flagKey: state.key, after: state },
  }
}

/** Fields of `patch` whose value differs from `current` (server/domain/changed-fields.ts). */
export { changedFields }

export interface FlagUpdateDecision {
  /** The fields to write (those that differ). */
  changed: DefinitionPatch
  /** `flag.client_side` when visibility changes (a versioned change in every environment). */
  action: 'flag.update' | 'flag.client_side'
  visibilityChanged: boolean
}

/** Updating a flag's definition: refused for a missing flag and for a patch that changes nothing. */
export function decideFlagUpdate(
  key: string,
  before: FlagDefinition | undefined,
  patch: DefinitionPatch,
): FlagUpdateDecision {
  const current = found(before, () => missing.flag(key))
  const changed = changedFields(current, patch)
  if (Object.keys(changed).length === 0)
    throw new ValidationError(`body: nothing to change (flag ${key} already has these values)`)
  const visibilityChanged = changed.clientSide !== undefined
  return { changed, action: visibilityChanged ? 'flag.client_side' : 'flag.update', visibilityChanged }
}

/** The audit entry of a definition update, as written. */
export function flagUpdated(
  decision: FlagUpdateDecision,
  before: FlagDefinition,
  after: FlagDefinition,
  actor: string,
): AuditEntry {
  return { actor, action: decision.action, flagKey: after.key, before, after }
}

/** A state's change when its flag's client visibility changed (its version bumped). */
export function visibilityChanged(before: StoredFlagState, after: StoredFlagState, actor: string): Decided {
  return {
    change: { type: 'flag', version: after.version, flag: rulesOf(after) },
    audit: { actor, action: 'flag.client_side', flagKey: after.key, before, after },
  }
}

/** An archived flag's state leaves its environment: SDKs drop it and callers get their default. */
export function stateArchived(before: StoredFlagState, version: number, actor: string): Decided {
  return {
    change: { type: 'flag_deleted', version, key: before.key },
    audit: { actor, action: 'flag.archive', flagKey: before.key, before },
  }
}

/**
 * Updating a state: refused when `expectedVersion` is given and the state has moved on
 * (ConflictError with the newer state); else the caller's `update` decides the patch (and may
 * throw to refuse).
 */
export function decideStateUpdate(before: StoredFlagState, options: StateUpdate): StatePatch {
  if (options.expectedVersion !== undefined && options.expectedVersion !== before.version)
    throw new ConflictError(
      `flag ${before.key} in ${before.environment} changed since version ${options.expectedVersion} (now ${before.version}); reload and retry`,
      { current: before },
    )
  return options.update(before)
}

/** The change and audit entry of an updated state, as written. */
export function stateUpdated(before: StoredFlagState, after: StoredFlagState, options: StateUpdate): Decided {
  return {
    change: { type: 'flag', version: after.version, flag: rulesOf(after) },
    audit: {
      actor: options.actor,
      action: options.action,
      flagKey: after.key,
      before,
      after,
      details: options.details,
    },
  }
}

// Segments

export interface SegmentPutOptions {
  actor: string
  create: boolean
  expectedVersion?: number | undefined
}

/**
 * Creating (refused when it exists) or replacing (refused when missing, or when
 * `expectedVersion` is given and it has moved on) a segment; else the columns to write.
 */
export function decideSegmentPut(
  envKey: string,
  input: SegmentInput,
  existing: Segment | undefined,
  options: SegmentPutOptions,
): Required<SegmentInput> {
  if (options.create && existing) throw new ConflictError(`segment ${input.key} already exists in ${envKey}`)
  if (!options.create && !existing) throw missing.segment(envKey, input.key)
  if (existing && options.expectedVersion !== undefined && existing.version !== options.expectedVersion)
    throw new ConflictError(
      `segment ${input.key} changed since version ${options.expectedVersion} (now ${existing.version}); reload and retry`,
      { current: existing },
    )
  return { ...input, description: input.description ?? '' }
}

/** The change and audit entry of a created or replaced segment, as written. */
export function segmentSaved(existing: Segment | undefined, saved: Segment, actor: string): Decided {
  return {
    change: { type: 'segment', version: saved.version, segment: saved },
    audit: {
      actor,
      action: existing ? 'segment.update' : 'segment.create',
      before: existing ?? null,
      after: saved,
      details: { segment: saved.key },
    },
  }
}

/** Flags (of one environment's states) whose cohorts reference the segment, in the given order. */
export function flagsUsingSegment(
  states: ReadonlyArray<{ flagKey: string; cohorts: Cohort[] }>,
  segmentKey: string,
): string[] {
  return states
    .filter((row) => usesSegment(row.cohorts, segmentKey))
    .map((row) => row.flagKey)
}

/**
 * Deleting a segment: refused when missing, and while flags use it (a segment in use would
 * silently close those cohorts): ConflictError with `details.flags`.
 */
export function decideSegmentRemove(
  envKey: string,
  key: string,
  existing: Segment | undefined,
  usedBy: string[],
): Segment {
  const segment = found(existing, () => missing.segment(envKey, key))
  if (usedBy.length > 0)
    throw new ConflictError(`segment ${key} is used by flags: ${usedBy.join(', ')}`, { flags: usedBy })
  return segment
}

/** The change and audit entry of a deleted segment. */
export function segmentRemoved(before: Segment, version: number, actor: string): Decided {
  return {
    change: { type: 'segment_deleted', version, key: before.key },
    audit: { actor, action: 'segment.delete', before, details: { segment: before.key } },
  }
}

// API keys

/**
 * The row of a new key: the secret's hash and a fixed marker that is not secret (`keyMarker`),
 * never the secret itself nor any part of it. `id` and `secret` come from the caller (they are random).
 */
export function newKeyRow(
  input: { name: string; kind: KeyKind; environment: string | null },
  secret: string,
  id: string,
): Omit<KeyRowFields, 'createdAt' | 'revokedAt'> & { hash: string } {
  return {
    id,
    name: input.name,
    kind: input.kind,
    envKey: input.environment,
    hash: hashSecret(secret),
    prefix: keyMarker(secret, input.kind),
  }
}

/** The audit entry of a new key (never the secret, never its hash). */
export function keyCreated(key: ApiKeyInfo, actor: string): AuditEntry {
  return { actor, action: 'key.create', envKey: key.environment, after: key }
}

/** Revoking a key: refused when missing; idempotent (the first revocation time stays). */
export function decideRevoke(id: string, existing: ApiKeyInfo | undefined, now: number): { revokedAt: number } {
  const key = found(existing, () => missing.key(id))
  return { revokedAt: key.revokedAt ?? now }
}

/** The audit entry of a revocation, as written. */
export function keyRevoked(before: ApiKeyInfo, after: ApiKeyInfo, actor: string): AuditEntry {
  return { actor, action: 'key.revoke', envKey: before.environment, before, after }
}

// Guard counts (a group of batches to store: batch-group.ts)

export { batchKey, groupOf } from './batch-group.ts'

/**
 * Long minute rows (sorted by minute) back as per-minute evidence; counters of a metric or arm
 * this release does not know are skipped, missing ones read as 0.
 */
export function minuteRows(rows: readonly MinuteCount[]): MinuteRow[] {
  const out: MinuteRow[] = []
  const byMinute = new Map<string, MinuteRow>()
  for (const r of rows) {
    if (!isCounter(r.arm, r.metric)) continue
    const id = JSON.stringify([r.envKey, r.flagKey, r.minute])
    let row = byMinute.get(id)
    if (!row) {
      byMinute.set(id, (row = { envKey: r.envKey, flagKey: r.flagKey, minute: r.minute, counts: emptyEvidence() }))
      out.push(row)
    }
    row.counts[r.arm][r.metric] += r.count
  }
  return out
}
