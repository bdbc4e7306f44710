import type { Change, Snapshot } from '../../sdk/core/changes.ts'
import type { CountedArm, Evidence } from '../../sdk/core/metrics.ts'
import type { Cohort, FlagState, Segment } from '../../sdk/core/types.ts'
import type { StoredGuard } from '../../api-shapes/guard.ts'
import type { Plan } from '../../api-shapes/plan.ts'
import type { ChangeRequest, ChangeRequestStatus, FieldDiff, ProposedChange } from '../../api-shapes/change-requests.ts'
import type { RequestPatch } from '../domain/change-requests.ts'

import type { PeopleStore } from './people-contract.ts'

export * from './people-contract.ts'

/**
 * The storage contract: what services, routes, the stream, the guard and the planner may ask of
 * storage, declared apart from any implementation. Two implementations satisfy it:
 * `createSqliteStore` (embedded default, `sqlite-store.ts`) and `createPgStore`
 * (`pg/pg-store.ts`), and one suite (`test/store/contract.test.ts`) runs against both. Each
 * mutation is read → decide → write: the decisions (refusals and their messages, what to write,
 * the audit entry, the change to publish) live once in `decisions.ts`; a dialect keeps only its
 * SQL, locking and transactions. A new mutation adds its decision there first.
 *
 * Rules every implementation keeps:
 * - Every method is async. Nothing is read or written after its promise settles.
 * - A mutation is one unit of work: the change, its audit row and the environment's version bump
 *   commit together or not at all. A rejected mutation has changed nothing (and used no version).
 * - Mutations hand back what they committed as {@link EnvChange} pairs, so the caller
 *   publishes each change to its own environment after commit, never by list position.
 * - Missing things reject with `NotFoundError`, version and uniqueness clashes with
 *   `ConflictError` (`details.current` holds the newer state where there is one), from
 *   `server/errors.ts`.
 * - Versions of one environment are gap-free and committed in order, however many writers
 *   (processes or replicas) there are.
 *
 * @example
 * const { state, committed } = await store.flags.updateState('production', 'checkout-v2', {
 *   expectedVersion: 4,
 *   actor: 'alice',
 *   action: 'flag.state.update',
 *   update: () => ({ enabled: true }),
 * })
 * hub.publish(committed.environment, committed.change)
 */
export interface Store {
  /** Which implementation this is (for dialect-only features such as NOTIFY or advisory locks). */
  readonly dialect: 'sqlite' | 'postgres'
  flags: FlagStore
  segments: SegmentStore
  /** Imports from other products (Unleash, LaunchDarkly): all or nothing. */
  imports: ImportStore
  keys: KeyStore
  /** People, roles per environment, sessions and personal tokens (people-contract.ts). */
  people: PeopleStore
  logs: LogStore
  metrics: MetricsStore
  /** The guard's saved evidence per guarded flag (both dialects: a restart resumes the tests). */
  evidence: EvidenceStore
  /** Guard webhooks' signing secrets (kept apart from the guard settings, which are shown everywhere). */
  webhookSecrets: WebhookSecretStore
  /** Change requests of protected environments (their application goes through `flags.updateState`). */
  requests: ChangeRequestStore
  /** A consistent view of one environment's rules (one read transaction). */
  snapshot(envKey: string): Promise<Snapshot>
  /** Releases the connection(s). The store is unusable afterwards. */
  close(): Promise<void>
  /** PostgreSQL only: what replicas share beyond this contract (see {@link ClusterStore}). */
  readonly cluster?: ClusterStore
}

/** One committed change and the environment it belongs to: what the caller publishes. */
export interface EnvChange {
  environment: string
  change: Change
}

export interface Environment {
  key: string
  name: string
  /** Bumped by every change in this environment; SDKs resume from it. */
  version: number
  /** Approvals a change to a flag's state needs here (a protected environment); 0: not protected. */
  approvals: number
  createdAt: number
}

export interface FlagDefinition {
  key: string
  description: string
  tags: string[]
  /** Visible to client (browser) keys; shared by every environment. */
  clientSide: boolean
  createdAt: number
  updatedAt: number
}

/** A flag's state in one environment plus the settings that are not evaluation rules. */
export interface StoredFlagState extends FlagState {
  /** The flag's client visibility (a per-flag setting every state carries, and streams). */
  clientSide: boolean
  environment: string
  /** The guard's settings and last trip, parsed when read (api-shapes/guard.ts), or null. */
  guard: StoredGuard | null
  /** The rollout plan, parsed when read (api-shapes/plan.ts), or null. */
  plan: Plan | null
  updatedAt: number
}

export type FlagWithStates = FlagDefinition & { states: StoredFlagState[] }

/**
 * One keyset page of a list ordered by flag key: the items after `after` (from the start when
 * undefined), at most `limit` of them. Keyset, not OFFSET, so a page costs the same wherever it
 * starts, and flags created or archived between pages shift nothing: every flag live throughout
 * is listed exactly once.
 */
export interface PageQuery {
  /** The key the previous page ended with. */
  after?: string | undefined
  limit: number
}

export interface Page<T> {
  items: T[]
  /** The key of the last item when more follow (the next page's `after`), else null. */
  next: string | null
}

/** What a definition update may change. */
export type DefinitionPatch = Partial<Pick<FlagDefinition, 'description' | 'tags' | 'clientSide'>>

/** What a state update may change; the store stamps version and time. */
export type StatePatch = Partial<
  Pick<StoredFlagState, 'enabled' | 'stickiness' | 'cohorts' | 'guard' | 'plan'>
>

export interface StateUpdate {
  /** When given and the state has moved on, nothing changes: ConflictError with `current`. */
  expectedVersion?: number | undefined
  actor: string
  action: string
  details?: unknown
  /**
   * The patch, computed from the current (locked) state inside the transaction. It must be a
   * pure, synchronous function: it may run while a row lock is held, and it may throw to abort
   * (the error rejects `updateState` unchanged and nothing is written).
   */
  update: (current: StoredFlagState) => StatePatch
  /**
   * The change request this update applies: in the same transaction the request turns from
   * `approved` to `applied` (with the version produced), and the audit entry's details name its
   * author and approvers. When the request is no longer `approved` (applied by another replica,
   * withdrawn, rejected) the update rejects with ConflictError and nothing is written.
   */
  approval?: AppliedApproval | undefined
}

/** The request an update applies, as its audit entry names it. */
export interface AppliedApproval {
  request: number
  author: string
  approvers: string[]
}

/** Flags, their per-environment states and environments. */
export interface FlagStore {
  /** Oldest first (then by key). */
  listEnvironments(): Promise<Environment[]>
  getEnvironment(envKey: string): Promise<Environment>
  /**
   * Sets how many approvals a change to a flag's state needs in an environment (0: not
   * protected), with an audit row (`environment.protect` or `environment.unprotect`).
   * NotFoundError for an unknown environment; the caller checks the count.
   */
  setProtection(envKey: string, approvals: number, actor: string): Promise<Environment>
  /** Creates an environment; every live flag gets an (off) state in it. ConflictError if it exists. */
  createEnvironment(input: { key: string; name: string }, actor: string): Promise<EnvChange[]>
  /**
   * One page of live (not archived) flags by key, each with its states in every environment
   * (ordered by environment key): one query for the flags and one for their states, of one
   * moment (a read transaction).
   */
  listFlags(page: PageQuery): Promise<Page<FlagWithStates>>
  getFlag(key: string): Promise<FlagWithStates>
  /**
   * Creates a flag, off with no cohorts, in every environment (one change per environment).
   * ConflictError if a live flag has the key; an archived key starts from scratch.
   */
  createFlag(
    input: { key: string; description: string; tags: string[]; clientSide: boolean },
    actor: string,
  ): Promise<EnvChange[]>
  /**
   * Changes a flag's shared definition; one audit row (`flag.update`, or `flag.client_side`
   * when visibility changes). Description and tags change no environment; client visibility is
   * part of every environment's rules, so changing it is a versioned change in each of them.
   * A patch that changes nothing rejects with ValidationError and writes nothing.
   */
  updateFlag(
    key: string,
    patch: DefinitionPatch,
    actor: string,
  ): Promise<{ flag: FlagDefinition; changes: EnvChange[] }>
  /** Archives a flag: a `flag_deleted` change per environment; its audit history stays. */
  archiveFlag(key: string, actor: string): Promise<EnvChange[]>
  getState(envKey: string, key: string): Promise<StoredFlagState>
  /** States with a guard, in every environment: what the guard watches after a restart. */
  listGuarded(): Promise<StoredFlagState[]>
  /** States with a rollout plan, in every environment (the planner's tick). */
  listPlanned(): Promise<StoredFlagState[]>
  /** Every state of one environment (snapshots, segment checks). */
  listStates(envKey: string): Promise<StoredFlagState[]>
  /** One page of an environment's states by flag key (one query); NotFoundError for an unknown environment. */
  pageStates(envKey: string, page: PageQuery): Promise<Page<StoredFlagState>>
  /** Applies `options.update` to the current state in one transaction (see {@link StateUpdate}). */
  updateState(
    envKey: string,
    key: string,
    options: StateUpdate,
  ): Promise<{ state: StoredFlagState; committed: EnvChange }>
}

/** A request as proposed; the store gives it its id, status `open` and empty lists. */
export interface NewChangeRequest {
  environment: string
  flag: string
  author: string
  change: ProposedChange
  diff: FieldDiff[]
  baseVersion: number
  approvalsRequired: number
  applyAt: number | null
  at: number
}

/** A transition of one request: `decide` runs on the locked row inside the transaction. */
export interface RequestUpdate {
  actor: string
  /** The audit action (`request.approve`, `request.reject`, …). */
  action: string
  at: number
  details?: unknown
  /** Pure and synchronous; it may throw to refuse (nothing is written). */
  decide: (current: ChangeRequest) => RequestPatch
}

/**
 * Change requests. Each mutation writes its audit row in the same transaction. Applying one is
 * not here: it is a flag-state update with `approval` set (see {@link StateUpdate}).
 */
export interface ChangeRequestStore {
  /** Stores a new `open` request (audit `request.create`); NotFoundError for an unknown environment. */
  create(input: NewChangeRequest): Promise<ChangeRequest>
  /** NotFoundError when there is no request with this id. */
  get(id: number): Promise<ChangeRequest>
  /** Newest first; `before` is the id cursor of the previous page's last request. */
  list(filter: {
    status?: ChangeRequestStatus | undefined
    env?: string | undefined
    flag?: string | undefined
    before?: number | undefined
    limit: number
  }): Promise<ChangeRequest[]>
  /** Applies `decide` to the request under a row lock, with its audit row (see {@link RequestUpdate}). */
  update(id: number, options: RequestUpdate): Promise<ChangeRequest>
  /** Approved requests whose `applyAt` is at or before `now`, oldest first: what the scheduler applies. */
  due(now: number): Promise<ChangeRequest[]>
}

export type SegmentInput = Omit<Segment, 'version'>

/** Segments of one environment; every change is versioned and streamed like a flag change. */
export interface SegmentStore {
  /** By key. */
  list(envKey: string): Promise<Segment[]>
  get(envKey: string, key: string): Promise<Segment>
  /**
   * Creates (`create: true`; ConflictError if it exists) or replaces (NotFoundError if missing)
   * a segment, checking `expectedVersion` when given.
   */
  put(
    envKey: string,
    input: SegmentInput,
    options: { actor: string; create: boolean; expectedVersion?: number | undefined },
  ): Promise<{ segment: Segment; committed: EnvChange }>
  /** Deletes a segment no flag uses (ConflictError with `details.flags` otherwise). */
  remove(envKey: string, key: string, actor: string): Promise<EnvChange>
}

/** Flags and segments to write into one environment (what an importer produced, validated). */
export interface ImportInput {
  flags: Array<{ key: string; description: string; enabled: boolean; cohorts: Cohort[] }>
  segments: SegmentInput[]
}

/** What an import did (or, for a dry run, would do) to each flag and segment. */
export type ImportAction = 'create' | 'update' | 'unchanged' | 'overwrite' | 'conflict'
export interface ImportOutcome {
  flags: Array<{ key: string; action: ImportAction }>
  segments: Array<{ key: string; action: ImportAction }>
}

export interface ImportStore {
  /**
   * Writes `input` into one environment in ONE transaction: segments first, then flags created
   * (in every environment, off) and their state here set; all of it or, on any error, nothing.
   * Existing rules are never replaced unless `overwrite` (`decideImport` in import-decisions.ts
   * says when: ConflictError naming them, nothing written). `dryRun` decides and writes nothing.
   * Each flag and segment written gets its audit row (action `flag.import`, `segment.import`)
   * and its change; the changes are returned for the caller to publish after commit.
   */
  importRules(
    envKey: string,
    input: ImportInput,
    options: { actor: string; overwrite: boolean; dryRun: boolean; source: string },
  ): Promise<{ outcome: ImportOutcome; changes: EnvChange[] }>
}

export type KeyKind = 'admin' | 'server' | 'client'

/** A key as shown in lists: never the secret, never its hash. */
export interface ApiKeyInfo {
  id: string
  name: string
  kind: KeyKind
  environment: string | null
  prefix: string
  createdAt: number
  revokedAt: number | null
}

/** A key and the hash its secret is checked against (server-internal, never shown). */
export interface KeyEntry {
  key: ApiKeyInfo
  hash: string
}

/** API keys, stored as sha256 hashes. */
export interface KeyStore {
  /** Stores a key; the secret is returned once. NotFoundError for an unknown environment. */
  create(
    input: { name: string; kind: KeyKind; environment: string | null; secret?: string },
    actor: string,
  ): Promise<{ key: ApiKeyInfo; secret: string }>
  /** Oldest first, revoked ones included. */
  list(): Promise<ApiKeyInfo[]>
  count(): Promise<number>
  /** The live (not revoked) key for a secret, or undefined. */
  verify(secret: string): Promise<ApiKeyInfo | undefined>
  /**
   * Every key with the sha256 hash of its secret (hex), revoked ones included: what the server's
   * in-memory key index (auth/key-index.ts) is loaded and re-checked from. Never leaves the server.
   */
  entries(): Promise<KeyEntry[]>
  /** Revokes a key (idempotent: the first revocation time stays). */
  revoke(id: string, actor: string): Promise<ApiKeyInfo>
}

/** One audit row. `version` is the environment version the change produced, if any. */
export interface AuditRow {
  id: number
  at: number
  actor: string
  action: string
  flagKey: string | null
  envKey: string | null
  version: number | null
  before: unknown
  after: unknown
  details: unknown
}

/** Reads of the append-only logs: the audit log (people) and the change log (SDKs). */
export interface LogStore {
  /** Newest first; `before` is the id cursor of the previous page's last row. */
  audit(filter: {
    flag?: string | undefined
    env?: string | undefined
    /** Only rows of these environments (a reader who may not read every one). */
    envs?: readonly string[] | undefined
    /** Only rows by this actor (`person:<email>`, `admin-key:<name>`, `guard`). */
    actor?: string | undefined
    before?: number | undefined
    limit: number
  }): Promise<AuditRow[]>
  /**
   * The changes after `afterVersion`, in version order, up to `upTo` when given (else up to the
   * latest committed one), or undefined when some of them are no longer kept (the last
   * `CHANGE_LOG_KEEP` per environment are) or `afterVersion` is ahead of the environment: the
   * SDK then needs a snapshot. Never a list with a gap.
   */
  changesSince(envKey: string, afterVersion: number, upTo?: number): Promise<Change[] | undefined>
  /** Who made the change that produced `version` of an environment (for logs and metrics). */
  auditOf(
    envKey: string,
    version: number,
  ): Promise<Pick<AuditRow, 'actor' | 'action' | 'flagKey'> | undefined>
  /**
   * Deletes audit rows written before `olderThanMs` (epoch ms) and answers how many: only when
   * an operator set an audit retention (`CANARY_AUDIT_RETENTION_DAYS`); otherwise the audit log
   * stays append-only.
   */
  pruneAudit(olderThanMs: number): Promise<number>
}

/**
 * One stored counter of one minute, the long form of the minute aggregates: one row per
 * (environment, flag, minute, arm, metric). A new metric is new rows, not a new column. Counts
 * may be fractional (browsers' counts are credited in proportion).
 */
export interface MinuteCount {
  envKey: string
  flagKey: string
  /** Epoch ms of the minute's start. */
  minute: number
  arm: CountedArm
  /** A metric of sdk/core/metrics.ts; rows of a metric this release does not know are kept and not read. */
  metric: string
  count: number
}

/** Per-minute guard counts of one flag in one environment, as named evidence. */
export interface MinuteRow {
  envKey: string
  flagKey: string
  /** Epoch ms of the minute's start. */
  minute: number
  counts: Evidence
}

export interface StoredBatch {
  envKey: string
  /** A validated batch: its id and its counts per flag. */
  batch: { id: string; flags: Record<string, Evidence> }
  receivedAt: number
}

/** A batch id as recorded: claimed once per environment (`batchKey`). */
export interface BatchIdRow {
  id: string
  envKey: string
  receivedAt: number
}

/**
 * Accepted batches to store in one transaction (`PendingBatches`, batch-group.ts): their ids,
 * once each and sorted, and their counts as per-minute sums, one row per (environment, flag,
 * minute, arm, metric), sorted, so writers adding to the same rows queue instead of deadlocking.
 */
export interface BatchGroup {
  ids: BatchIdRow[]
  counts: MinuteCount[]
}

/** Guard counts: batch de-duplication and per-minute aggregates. */
export interface MetricsStore {
  /** Whether a batch id (per environment) was already stored. A read, no write. */
  hasBatch(envKey: string, batchId: string): Promise<boolean>
  /**
   * Claims a batch id once, cluster-wide: inserts it if absent and says whether it was new.
   * Of any number of concurrent claims of one id (from any replica) exactly one gets true.
   */
  acceptBatch(envKey: string, batchId: string, receivedAt: number): Promise<boolean>
  /**
   * Stores accepted batches in one transaction: their ids (when not yet claimed) and their
   * counts added to the per-minute aggregates. It does not de-duplicate: the caller accepted
   * each batch once (`acceptBatch`) before.
   */
  storeBatches(group: BatchGroup): Promise<void>
  /** Per-minute rows of one flag since `sinceMs`, oldest first. */
  series(envKey: string, flagKey: string, sinceMs: number): Promise<MinuteRow[]>
  /** Drops aggregates and batch ids older than `olderThanMs`. */
  prune(olderThanMs: number): Promise<void>
}

/** Attributed guard counts one replica accepted, waiting for the guard leader. */
export interface SharedCounts {
  envKey: string
  flagKey: string
  /** Server keys' counts, or browsers' (a guard with `evidence: "server"` ignores those). */
  source: 'server' | 'client'
  /** When they were accepted (epoch ms). */
  at: number
  counts: Evidence
}

/** One guarded flag's evidence as the guard last saved it (opaque JSON to the store). */
export interface SharedEvidence {
  envKey: string
  flagKey: string
  evidence: unknown
}

/**
 * The guard's evidence per guarded flag, saved at least once a second and on shutdown, read
 * back at start (and, on PostgreSQL, by every replica and by a new guard leader). The JSON is
 * the guard's (server/guard/evidence-record.ts); the store keeps it whole and never reads it.
 */
export interface EvidenceStore {
  /** Upserts evidence rows and deletes those of the flags in `remove`, in one transaction. */
  saveEvidence(save: SharedEvidence[], remove: Array<{ envKey: string; flagKey: string }>): Promise<void>
  loadEvidence(): Promise<SharedEvidence[]>
}

/**
 * What replicas share beyond the contract above (PostgreSQL only; a single SQLite process keeps
 * all of this in memory): guard counts for the leader, the connection lists, the change
 * announcements and the leader lock. The leader's evidence is the contract's `evidence`. `test/store/contract.test.ts` covers
 * the tables; `test/replicas/` the rest with real processes.
 */
export interface ClusterStore {
  /** Appends counts (one statement). */
  appendCounts(rows: SharedCounts[]): Promise<void>
  /** Takes every appended, committed count out of the table: each row is returned once, ever. */
  consumeCounts(): Promise<SharedCounts[]>
  /**
   * The guard leader's tick as one transaction: takes the appended counts out of the table,
   * hands them to `decide` (synchronous: it feeds the tests) and stores the evidence `decide`
   * returns. Either the counts are consumed and the evidence stored, or neither (the counts
   * stay for the next leader), so a leader dying mid-tick loses no counts and counts none twice.
   */
  consumeAndSave(
    decide: (rows: SharedCounts[]) => { save: SharedEvidence[]; remove: Array<{ envKey: string; flagKey: string }> },
  ): Promise<void>
  /** Replaces one replica's connection list and heartbeat. */
  publishConnections(replicaId: string, connections: unknown[], at: number): Promise<void>
  /** Every replica's list heard from at or after `since`. */
  connections(since: number): Promise<Array<{ replicaId: string; connections: unknown[]; heartbeatAt: number }>>
  /** Deletes one replica's list (clean shutdown). */
  forgetReplica(replicaId: string): Promise<void>
  /**
   * Runs `work` while holding a cluster-wide lock: replicas starting together on an empty
   * database bootstrap it one after another (the second finds it done).
   */
  exclusively<T>(work: () => Promise<T>): Promise<T>
}

/**
 * Guard webhooks' signing secrets, one per flag and environment. The secrets come from the
 * caller (random); the store keeps the current one and, after a rotation, the previous one until
 * its overlap ends.
 */
export interface WebhookSecretStore {
  /** The secrets that sign a delivery at `now`, newest first; empty when none was made. */
  signing(envKey: string, flagKey: string, now: number): Promise<string[]>
  /** Stores `secret` when the flag has none yet; true when it did (the caller shows it once). */
  ensure(envKey: string, flagKey: string, secret: string, now: number): Promise<boolean>
  /** Makes `secret` the current one; the one it replaces still signs until `previousUntil` (epoch ms). */
  rotate(envKey: string, flagKey: string, secret: string, previousUntil: number, now: number): Promise<void>
}
