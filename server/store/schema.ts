import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { StoredGuard } from '../../api-shapes/guard.ts'
import type { Plan } from '../../api-shapes/plan.ts'
import type { FieldDiff, ProposedChange } from '../../api-shapes/change-requests.ts'
import type { Cohort, Segment } from '../../sdk/core/types.ts'

/**
 * Drizzle tables. JSON columns hold the shapes of `sdk/core/types.ts` so the evaluation core
 * reads stored rules as they are. Times are epoch milliseconds.
 */

const now = sql`(cast(unixepoch('subsecond') * 1000 as integer))`

export const environments = sqliteTable('environments', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  /** Bumped by every change in this environment; SDKs resume from it. */
  version: integer('version').notNull().default(0),
  /** Approvals a change to a flag's state needs here (a protected environment); 0: not protected. */
  approvals: integer('approvals').notNull().default(0),
  createdAt: integer('created_at').notNull().default(now),
})

export const flags = sqliteTable('flags', {
  key: text('key').primaryKey(),
  description: text('description').notNull().default(''),
  tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  /**
   * Whether client (browser) keys may see the flag at all. New flags are not visible; migration
   * 0002 marked the flags that existed before it visible, keeping their behaviour.
   */
  clientSide: integer('client_side', { mode: 'boolean' }).notNull().default(false),
  archivedAt: integer('archived_at'),
  createdAt: integer('created_at').notNull().default(now),
  updatedAt: integer('updated_at').notNull().default(now),
})

export const flagStates = sqliteTable(
  'flag_states',
  {
    flagKey: text('flag_key')
      .notNull()
      .references(() => flags.key, { onDelete: 'cascade' }),
    envKey: text('env_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(false),
    salt: text('salt').notNull(),
    stickiness: text('stickiness').notNull().default('userId'),
    cohorts: text('cohorts', { mode: 'json' }).$type<Cohort[]>().notNull().default(sql`'[]'`),
    /** Guard settings and last trip (JSON) or null; owned by the guard. Read back through `toState` (rows.ts), which parses it. */
    guard: text('guard', { mode: 'json' }).$type<StoredGuard>(),
    /** Rollout plan (JSON) or null; owned by the planner. Read back through `toState` (rows.ts), which parses it. */
    plan: text('plan', { mode: 'json' }).$type<Plan>(),
    /** The environment version of this state's last change (If-Match for updates). */
    version: integer('version').notNull(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.flagKey, t.envKey] })],
)

export const segments = sqliteTable(
  'segments',
  {
    envKey: text('env_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    description: text('description').notNull().default(''),
    userIds: text('user_ids', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    conditions: text('conditions', { mode: 'json' })
      .$type<Segment['conditions']>()
      .notNull()
      .default(sql`'[]'`),
    version: integer('version').notNull(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.key] })],
)

export const apiKeys = sqliteTable(
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
    createdAt: integer('created_at').notNull().default(now),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_keys_env').on(t.envKey)],
)

/** People who sign in (issue 28). Email lower case and unique; the password as an scrypt hash. */
export const people = sqliteTable('people', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  /** A global admin: every role everywhere, and manages members. */
  admin: integer('admin', { mode: 'boolean' }).notNull().default(false),
  /** `scrypt$N$r$p$salt$hash` (auth/password.ts), or null for a person who signs in by SSO only. */
  passwordHash: text('password_hash'),
  createdAt: integer('created_at').notNull().default(now),
  updatedAt: integer('updated_at').notNull().default(now),
})

/** A person's role per environment; `env_key` '*' holds in every environment (so no foreign key). */
export const memberships = sqliteTable(
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
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    hash: text('hash').notNull().unique(),
    personId: text('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
  },
  (t) => [index('sessions_person').on(t.personId)],
)

/** Personal API tokens, stored as sha256 hashes; they act with their person's roles at use time. */
export const personalTokens = sqliteTable(
  'personal_tokens',
  {
    id: text('id').primaryKey(),
    personId: text('person_id')
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    hash: text('hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    createdAt: integer('created_at').notNull().default(now),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('personal_tokens_person').on(t.personId)],
)

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull().default(now),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    flagKey: text('flag_key'),
    envKey: text('env_key'),
    /** The environment version this change produced, when it changed an environment. */
    version: integer('version'),
    before: text('before', { mode: 'json' }).$type<unknown>(),
    after: text('after', { mode: 'json' }).$type<unknown>(),
    details: text('details', { mode: 'json' }).$type<unknown>(),
  },
  (t) => [index('audit_flag').on(t.flagKey, t.id), index('audit_env').on(t.envKey, t.id)],
)

/** One row per environment version: what SDKs replay when they resume. */
export const changeLog = sqliteTable(
  'change_log',
  {
    envKey: text('env_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    at: integer('at').notNull().default(now),
    /** The change message as streamed (JSON). */
    change: text('change', { mode: 'json' }).$type<unknown>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.version] })],
)

/** Batch ids already ingested, so a resent batch is counted once. Pruned with the metrics. */
export const metricBatches = sqliteTable('metric_batches', {
  id: text('id').primaryKey(),
  envKey: text('env_key').notNull(),
  receivedAt: integer('received_at').notNull(),
})

/**
 * Per-minute guard counts per flag and environment, for charts and post-mortems, in long form:
 * one row per counter (arm and metric, sdk/core/metrics.ts), so a new metric adds rows, not
 * columns. Migration 0003 moved the wide `metrics_minute` rows here.
 */
export const minuteCounts = sqliteTable(
  'minute_counts',
  {
    envKey: text('env_key').notNull(),
    flagKey: text('flag_key').notNull(),
    /** Epoch ms of the minute's start. */
    minute: integer('minute').notNull(),
    arm: text('arm', { enum: ['canary', 'control'] }).notNull(),
    metric: text('metric').notNull(),
    count: real('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.flagKey, t.minute, t.arm, t.metric] })],
)

/**
 * Each guarded flag's evidence (the tests' state, the recent window, the ten-second rows) as
 * the guard last saved it, so a restart resumes the tests instead of starting them afresh. The
 * same JSON as PostgreSQL's `guard_evidence` (server/guard/evidence-record.ts writes both).
 */
export const guardEvidence = sqliteTable(
  'guard_evidence',
  {
    envKey: text('env_key').notNull(),
    flagKey: text('flag_key').notNull(),
    evidence: text('evidence', { mode: 'json' }).$type<unknown>().notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.flagKey] })],
)

/**
 * Each guard webhook's signing secret (one per flag and environment), shown once when made.
 * After a rotation the previous secret also signs until `previous_until`, so receivers can
 * switch without losing a delivery. Kept apart from the guard JSON, which the API, the audit
 * log and the stream show.
 */
export const webhookSecrets = sqliteTable(
  'webhook_secrets',
  {
    envKey: text('env_key').notNull(),
    flagKey: text('flag_key').notNull(),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousUntil: integer('previous_until'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.envKey, t.flagKey] })],
)

/**
 * Change requests of protected environments: a held flag-state write, its approvals and
 * comments (JSON lists, written under the row's transaction), and what became of it. Read back
 * through `toChangeRequest` (change-request-rows.ts), which parses the JSON.
 */
export const changeRequests = sqliteTable(
  'change_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    envKey: text('env_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    flagKey: text('flag_key').notNull(),
    author: text('author').notNull(),
    change: text('change', { mode: 'json' }).$type<ProposedChange>().notNull(),
    diff: text('diff', { mode: 'json' }).$type<FieldDiff[]>().notNull(),
    baseVersion: integer('base_version').notNull(),
    approvalsRequired: integer('approvals_required').notNull(),
    status: text('status').notNull(),
    approvals: text('approvals', { mode: 'json' }).$type<unknown>().notNull().default(sql`'[]'`),
    comments: text('comments', { mode: 'json' }).$type<unknown>().notNull().default(sql`'[]'`),
    applyAt: integer('apply_at'),
    decidedBy: text('decided_by'),
    appliedVersion: integer('applied_version'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('change_requests_status').on(t.status, t.applyAt), index('change_requests_flag').on(t.envKey, t.flagKey, t.id)],
)
