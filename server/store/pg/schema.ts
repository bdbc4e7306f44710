import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
} from 'drizzle-orm/pg-core'
import type { StoredGuard } from '../../../api-shapes/guard.ts'
import type { Plan } from '../../../api-shapes/plan.ts'
import type { FieldDiff, ProposedChange } from '../../../api-shapes/change-requests.ts'
import type { Cohort, Segment } from '../../../sdk/core/types.ts'

/**
 * The PostgreSQL tables, one for one with `../schema.ts` (same table and column names, so the
 * two dialects hold the same data): JSON columns are jsonb, epoch-ms times bigint read as
 * numbers, and the guard's counts double precision (server-weighted counts can be fractional).
 */

const epochMs = (name: string) => bigint(name, { mode: 'number' })
const now = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`

export const environments = pgTable('environments', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  /** Bumped by every change in this environment; SDKs resume from it. */
  version: integer('version').notNull().default(0),
  /** Approvals a change to a flag's state needs here (a protected environment); 0: not protected. */
  approvals: integer('approvals').notNull().default(0),
  createdAt: epochMs('created_at').notNull().default(now),
})

export const flags = pgTable('flags', {
  key: text('key').primaryKey(),
  description: text('description').notNull().default(''),
  tags: jsonb('tags')
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'::jsonb`),
  /** Whether client (browser) keys may see the flag at all. New flags are not visible. */
  clientSide: boolean('client_side').notNull().default(false),
  archivedAt: epochMs('archived_at'),
  createdAt: epochMs('created_at').notNull().default(now),
  updatedAt: epochMs('updated_at').notNull().default(now),
})

export const flagStates = pgTable(
  'flag_states',
  {
    flagKey: text('flag_key')
      .notNull()
      .references(() => flags.key, { onDelete: 'cascade' }),
    envKey: text('env_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    enabled: boolean('enabled').notNull().default(false),
    salt: text('salt').notNull(),
    stickiness: text('stickiness').notNull().default('userId'),
    cohorts: jsonb('cohorts')
      .$type<Cohort[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** Guard settings and last trip (JSON) or null; owned by the guard. Read back through `toState` (rows.ts), which parses it. */
    guard: jsonb('guard').$type<StoredGuard>(),
    /** Rollout plan (JSON) or null; owned by the planner. Read back through `toState` (rows.ts), which parses it. */
    plan: jsonb('plan').$type<Plan>(),
    /** The environment version of this state's last change (If-Match for updates). */
    version: integer('version').notNull(),
    updatedAt: epochMs('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.flagKey, t.envKey] })],
)

export const segments = pgTable(
  'segments',
  {
    envKey: text('env_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    description: text('description').notNull().default(''),
    userIds: jsonb('user_ids')
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    conditions: jsonb('conditions')
      .$type<Segment['conditions']>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    version: integer('version').notNull(),
    updatedAt: epochMs('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.key] })],
)

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['admin', 'server', 'client'] }).notNull(),
    /** Null only for global admin keys. */
    envKey: text('env_key').references(() => environments.key, { onDelete: 'cascade' }),
    /** sha256 of the secret, hex; the secret itself is never stored. */
    hash: text('hash').notNull().unique(),
    /** First characters of the secret, to recognise a key in lists. */
    prefix: text('prefix').notNull(),
    createdAt: epochMs('created_at').notNull().default(now),
    revokedAt: epochMs('revoked_at'),
  },
  (t) => [index('api_keys_env').on(t.envKey)],
)

/** People who sign in (issue 28). Email lower case and unique; the password as an scrypt hash. */
export const people = pgTable('people', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  /** A global admin: every role everywhere, and manages members. */
  admin: boolean('admin').notNull().default(false),
  /** `scrypt$N$r$p$salt$hash` (auth/password.ts), or null for a person who signs in by SSO only. */
  passwordHash: text('password_hash'),
  createdAt: epochMs('created_at').notNull().default(now),
  updatedAt: epochMs('updated_at').notNull().default(now),
})

/** A person's role per environment; `env_key` '*' holds in every environment (so no foreign key). */
export const memberships = pgTable(
  'memberships',
  {
    personId: text('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    envKey: text('env_key').notNull(),
    role: text('role', { enum: ['viewer', 'editor', 'approver', 'admin'] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.personId, t.envKey] })],
)

/** Server-side sessions: the cookie holds the secret, this table its sha256. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    hash: text('hash').notNull().unique(),
    personId: text('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    createdAt: epochMs('created_at').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
    lastSeenAt: epochMs('last_seen_at').notNull(),
  },
  (t) => [index('sessions_person').on(t.personId)],
)

/** Personal API tokens, stored as sha256 hashes; they act with their person's roles at use time. */
export const personalTokens = pgTable(
  'personal_tokens',
  {
    id: text('id').primaryKey(),
    personId: text('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    hash: text('hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    createdAt: epochMs('created_at').notNull().default(now),
    lastUsedAt: epochMs('last_used_at'),
    revokedAt: epochMs('revoked_at'),
  },
  (t) => [index('personal_tokens_person').on(t.personId)],
)

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: epochMs('at').notNull().default(now),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    flagKey: text('flag_key'),
    envKey: text('env_key'),
    /** The environment version this change produced, when it changed an environment. */
    version: integer('version'),
    before: jsonb('before').$type<unknown>(),
    after: jsonb('after').$type<unknown>(),
    details: jsonb('details').$type<unknown>(),
  },
  (t) => [index('audit_flag').on(t.flagKey, t.id), index('audit_env').on(t.envKey, t.id)],
)

/** One row per environment version: what SDKs replay when they resume (and replicas fan out). */
export const changeLog = pgTable(
  'change_log',
  {
    envKey: text('env_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    at: epochMs('at').notNull().default(now),
    /** The change message as streamed (JSON). */
    change: jsonb('change').$type<unknown>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.version] })],
)

/** Batch ids already ingested, so a resent batch is counted once cluster-wide. Pruned with the metrics. */
export const metricBatches = pgTable(
  'metric_batches',
  {
    id: text('id').primaryKey(),
    envKey: text('env_key').notNull(),
    receivedAt: epochMs('received_at').notNull(),
  },
  (t) => [index('metric_batches_received').on(t.receivedAt)],
)

/**
 * Per-minute guard counts per flag and environment, for charts and post-mortems, in long form:
 * one row per counter (arm and metric, sdk/core/metrics.ts), so a new metric adds rows, not
 * columns. Migration 0002 moved the wide `metrics_minute` rows here.
 */
export const minuteCounts = pgTable(
  'minute_counts',
  {
    envKey: text('env_key').notNull(),
    flagKey: text('flag_key').notNull(),
    /** Epoch ms of the minute's start. */
    minute: epochMs('minute').notNull(),
    arm: text('arm', { enum: ['canary', 'control'] }).notNull(),
    metric: text('metric').notNull(),
    count: doublePrecision('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.flagKey, t.minute, t.arm, t.metric] })],
)

/**
 * Replicas only: guard counts waiting for the guard leader. Every replica appends the attributed
 * counts of the batches it accepted (one row per environment, flag and source per flush); the
 * leader consumes them (DELETE … RETURNING, so each row reaches the tests once) every second.
 */
export const guardCounts = pgTable('guard_counts', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  envKey: text('env_key').notNull(),
  flagKey: text('flag_key').notNull(),
  /** `server` (server keys) or `client` (browser keys): a guard with `evidence: "server"` ignores the latter. */
  source: text('source', { enum: ['server', 'client'] }).notNull(),
  /** When the replica accepted the counts (epoch ms), for the recent window. */
  at: epochMs('at').notNull(),
  canaryExposures: doublePrecision('canary_exposures').notNull(),
  canaryErrors: doublePrecision('canary_errors').notNull(),
  controlExposures: doublePrecision('control_exposures').notNull(),
  controlErrors: doublePrecision('control_errors').notNull(),
  /** Requests that reported a duration, and those slower than the guard's latency bound. */
  canaryTimed: doublePrecision('canary_timed').notNull().default(0),
  canarySlow: doublePrecision('canary_slow').notNull().default(0),
  controlTimed: doublePrecision('control_timed').notNull().default(0),
  controlSlow: doublePrecision('control_slow').notNull().default(0),
})

/**
 * Replicas only: each guarded flag's evidence as the guard leader last left it, so a new leader
 * resumes the tests and every replica shows the current figures.
 */
export const guardEvidence = pgTable(
  'guard_evidence',
  {
    envKey: text('env_key').notNull(),
    flagKey: text('flag_key').notNull(),
    /** `FlagEvidence.snapshot()` plus the recent window's buckets (JSON). */
    evidence: jsonb('evidence').$type<unknown>().notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.flagKey] })],
)

/** Replicas only: each replica's live SDK connections, rewritten every few seconds (heartbeat). */
export const replicaConnections = pgTable('replica_connections', {
  replicaId: text('replica_id').primaryKey(),
  /** The replica's `GET /api/v1/connections` items (JSON array). */
  connections: jsonb('connections').$type<unknown[]>().notNull(),
  heartbeatAt: epochMs('heartbeat_at').notNull(),
})

/** Each guard webhook's signing secret (as SQLite's `webhook_secrets`, server/store/schema.ts). */
export const webhookSecrets = pgTable(
  'webhook_secrets',
  {
    envKey: text('env_key').notNull(),
    flagKey: text('flag_key').notNull(),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousUntil: epochMs('previous_until'),
    createdAt: epochMs('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.flagKey] })],
)

/** Change requests of protected environments (one for one with `../schema.ts`). */
export const changeRequests = pgTable(
  'change_requests',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    envKey: text('env_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    flagKey: text('flag_key').notNull(),
    author: text('author').notNull(),
    change: jsonb('change').$type<ProposedChange>().notNull(),
    diff: jsonb('diff').$type<FieldDiff[]>().notNull(),
    baseVersion: integer('base_version').notNull(),
    approvalsRequired: integer('approvals_required').notNull(),
    status: text('status').notNull(),
    approvals: jsonb('approvals').$type<unknown>().notNull().default(sql`'[]'::jsonb`),
    comments: jsonb('comments').$type<unknown>().notNull().default(sql`'[]'::jsonb`),
    applyAt: epochMs('apply_at'),
    decidedBy: text('decided_by'),
    appliedVersion: integer('applied_version'),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [index('change_requests_status').on(t.status, t.applyAt), index('change_requests_flag').on(t.envKey, t.flagKey, t.id)],
)
