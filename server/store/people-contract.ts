import type { Role } from '../../api-shapes/people.ts'

/**
 * The people part of the store contract (accounts, roles per environment, server-side sessions
 * and personal API tokens), declared apart from any implementation. `contract.ts` re-exports
 * it; both dialects implement it (`people-store.ts`, `pg/people-store.ts`) and one suite
 * (`test/store/people.pg.test.ts`) runs against both.
 *
 * Secrets never reach the store: sessions and tokens are stored and looked up by the sha256
 * of their secret, and passwords as the scrypt hash `auth/password.ts` made. Every mutation
 * that ends sessions or tokens answers their ids (`Ended`), so the caller can close what they
 * hold open (console streams, stream tickets); on PostgreSQL the same ids are announced on
 * `canary_keys` inside the transaction, so every replica closes them at commit.
 */

export { ROLES, type Role } from '../../api-shapes/people.ts'

/** The environment of a membership that holds in every environment. */
export const EVERY_ENVIRONMENT = '*'

/** A role in one environment, or in every one (`environment: '*'`). */
export interface Membership {
  environment: string
  role: Role
}

/** A person as shown in lists: never the password hash. */
export interface Person {
  id: string
  /** Lower case; unique. */
  email: string
  name: string
  /** A global admin: every role everywhere, and manages members. */
  admin: boolean
  /** By environment key. */
  roles: Membership[]
  /** Whether the person can sign in with a password (SSO-only people cannot). */
  hasPassword: boolean
  createdAt: number
}

/** A live session and its person, as a request authenticates with it. */
export interface SessionRecord {
  id: string
  person: Person
  createdAt: number
  expiresAt: number
  lastSeenAt: number
}

/** A personal API token as shown in lists: never the secret, never its hash. */
export interface TokenInfo {
  id: string
  personId: string
  name: string
  /** A fixed marker that is not secret (`cfp_`). */
  prefix: string
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}

/** What a mutation ended: the ids whose open streams and tickets must close. */
export interface Ended {
  sessions: string[]
  tokens: string[]
}

export interface NewPerson {
  email: string
  name: string
  admin: boolean
  passwordHash: string | null
  roles: Membership[]
}

/** People, their roles, sessions and tokens. */
export interface PeopleStore {
  /** ConflictError when the email is taken (case-insensitively). Audited `person.create`. */
  create(input: NewPerson, actor: string): Promise<Person>
  /** Oldest first. */
  list(): Promise<Person[]>
  count(): Promise<number>
  /** NotFoundError when unknown. */
  get(id: string): Promise<Person>
  /** The person of an email (any case) and their password hash, for sign-in. */
  credentials(email: string): Promise<{ person: Person; passwordHash: string | null } | undefined>
  /**
   * Changes name, global admin flag and/or roles (roles replace the whole list). Audited
   * `person.roles` (before and after) when roles or the admin flag change, else `person.update`.
   * When the rights changed, `rightsChanged` holds the person's sessions and live tokens (their
   * open console streams must be authorized again; on PostgreSQL they are announced as well).
   * ConflictError, changing nothing, when it would take the admin flag from the last global
   * admin person (`lastAdmin`; on PostgreSQL the admin rows are locked, so two demotions at
   * once cannot both pass).
   */
  update(
    id: string,
    patch: { name?: string; admin?: boolean; roles?: Membership[] },
    actor: string,
  ): Promise<{ person: Person; rightsChanged: Ended }>
  /**
   * Sets the password hash and ends every session of the person but `keepSession` (the one a
   * person changing their own password is using); audited `person.password`.
   */
  setPassword(id: string, passwordHash: string, actor: string, options?: { keepSession?: string }): Promise<Ended>
  /**
   * Deletes the person, their roles, sessions and tokens (audited `person.remove`).
   * ConflictError, changing nothing, for the last global admin person.
   */
  remove(id: string, actor: string): Promise<Ended>

  /** Stores a session by the hash of its secret; answers its id. */
  startSession(input: { personId: string; hash: string; expiresAt: number; now: number }): Promise<string>
  /** The live (unexpired) session of a secret's hash, with its person. */
  session(hash: string, now: number): Promise<SessionRecord | undefined>
  /** Records activity (the caller decides how often). */
  touchSession(id: string, now: number): Promise<void>
  /** Ends the session of a hash; answers its id, or undefined when there was none. */
  endSession(hash: string): Promise<string | undefined>
  /** Deletes sessions expired at `now` (they are refused already); answers how many. */
  pruneSessions(now: number): Promise<number>

  /** Stores a token by the hash of its secret (audited `token.create`, never the secret). */
  createToken(input: { personId: string; name: string; hash: string; prefix: string }, actor: string): Promise<TokenInfo>
  /** The live (not revoked) token of a secret's hash, with its person. */
  token(hash: string): Promise<{ token: TokenInfo; person: Person } | undefined>
  touchToken(id: string, now: number): Promise<void>
  /** A person's tokens, oldest first, revoked ones included. */
  tokens(personId: string): Promise<TokenInfo[]>
  /** Revokes a token of the person (NotFoundError for another's); idempotent. Audited `token.revoke`. */
  revokeToken(personId: string, id: string, actor: string): Promise<TokenInfo>

  /** Writes an audit entry that changes no data (sign-ins, failed sign-ins, sign-outs). */
  audit(entry: { actor: string; action: string; details?: unknown }): Promise<void>
}
