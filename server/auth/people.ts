import { createHash, randomBytes } from 'node:crypto'
import { ConflictError, ForbiddenError, UnauthorizedError, ValidationError } from '../errors.ts'
import type { Ended, Membership, Person, Store, TokenInfo } from '../store/contract.ts'
import type { Identity } from './identity.ts'
import { DEFAULT_SCRYPT_COST, hashPassword, MAX_PASSWORD_LENGTH, passwordProblem, verifyPassword, type ScryptCost } from './password.ts'
import type { SignInThrottle } from './sign-in-throttle.ts'

/** How long a session lives from sign-in (a working day and a half; sign in again after). */
export const SESSION_TTL_MS = 12 * 60 * 60_000
/** Activity is written back at most this often (a read per request, not a write per request). */
const TOUCH_EVERY_MS = 60_000
/** Personal tokens start with this: a marker that is not secret, and how a bearer secret is told from a key. */
export const TOKEN_PREFIX = 'cfp_'

const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex')

/** What a sign-in hands back: the session secret (the cookie's value, never stored) and when it ends. */
export interface StartedSession {
  secret: string
  sessionId: string
  expiresAt: number
  person: Person
}

/**
 * People's side of authentication, one home for it: password sign-in (scrypt, throttled),
 * server-side sessions, personal tokens, and what a single sign-on callback needs
 * (`signInPerson`, `upsertPersonFromSso`). Sessions and tokens are kept as sha256 hashes;
 * secrets exist only in the answer that creates them.
 *
 * `onEnded` is told the ids of every session and token that ended (sign-out, password change,
 * token revocation, removal) after commit, to close their live streams in this process; on
 * PostgreSQL the store announces them to every replica as well (`canary_keys`).
 *
 * @example
 * const people = createPeopleAuth({ store, now: Date.now, throttle, onEnded })
 * const started = await people.signInWithPassword({ email, password, address })
 * const identity = await people.fromSession(started.secret)
 */
export function createPeopleAuth(deps: {
  store: Store
  now: () => number
  throttle: SignInThrottle
  onEnded: (ended: Ended) => void
  /** Told the sessions and tokens of a person whose roles changed, after commit (their streams reconnect). */
  onRightsChanged?: (affected: Ended) => void
  scryptCost?: ScryptCost
}) {
  const { store, now } = deps
  const cost = deps.scryptCost ?? DEFAULT_SCRYPT_COST
  // Checked when an email is unknown, so an unknown email takes as long as a wrong password.
  let decoy: Promise<string> | undefined

  async function newHash(password: string, field?: string): Promise<string> {
    const problem = passwordProblem(password, field)
    if (problem) throw new ValidationError(problem)
    return hashPassword(password, cost)
  }

  async function signInPerson(personId: string): Promise<StartedSession> {
    const person = await store.people.get(personId)
    const secret = randomBytes(32).toString('base64url')
    const at = now()
    const expiresAt = at + SESSION_TTL_MS
    const sessionId = await store.people.startSession({ personId, hash: sha256(secret), expiresAt, now: at })
    return { secret, sessionId, expiresAt, person }
  }

  const ended = (result: Ended) => {
    deps.onEnded(result)
    return result
  }

  return {
    /**
     * Signs in with email and password: a new session, audited `session.sign_in` (or
     * `session.sign_in_failed`, naming the email tried and never the password). 401 with one
     * message for an unknown email and a wrong password alike.
     */
    async signInWithPassword(input: { email: string; password: string; address: string }): Promise<StartedSession> {
      const email = input.email.trim().toLowerCase()
      const credentials = await store.people.credentials(email)
      const ok = await deps.throttle.attempt({ account: email, address: input.address }, async () => {
        if (input.password.length > MAX_PASSWORD_LENGTH) return false // bounded work per attempt
        if (credentials?.passwordHash) return verifyPassword(input.password, credentials.passwordHash)
        decoy ??= hashPassword('decoy password, never matches', cost)
        await verifyPassword(input.password, await decoy)
        return false
      })
      if (!ok || !credentials) {
        await store.people.audit({ actor: `person:${email}`, action: 'session.sign_in_failed', details: { address: input.address } })
        throw new UnauthorizedError('wrong email or password')
      }
      const started = await signInPerson(credentials.person.id)
      await store.people.audit({ actor: `person:${email}`, action: 'session.sign_in', details: { address: input.address, method: 'password' } })
      return started
    },

    /** A new session for a person already authenticated elsewhere (a single sign-on callback). */
    signInPerson,

    /** Ends the session of a secret (sign-out); audited `session.sign_out`. */
    async signOut(secret: string, actor: string): Promise<void> {
      const id = await store.people.endSession(sha256(secret))
      if (id === undefined) return
      ended({ sessions: [id], tokens: [] })
      await store.people.audit({ actor, action: 'session.sign_out' })
    },

    /** The person of a live session secret, or undefined (unknown, ended or expired). */
    async fromSession(secret: string): Promise<Identity | undefined> {
      const at = now()
      const session = await store.people.session(sha256(secret), at)
      if (!session) return undefined
      if (at - session.lastSeenAt >= TOUCH_EVERY_MS) await store.people.touchSession(session.id, at)
      return { type: 'person', person: session.person, credential: { kind: 'session', id: session.id } }
    },

    /** The person of a live personal token, or undefined; records its use (at most once a minute). */
    async fromToken(secret: string): Promise<Identity | undefined> {
      const found = await store.people.token(sha256(secret))
      if (!found) return undefined
      const at = now()
      if (found.token.lastUsedAt === null || at - found.token.lastUsedAt >= TOUCH_EVERY_MS) await store.people.touchToken(found.token.id, at)
      return { type: 'person', person: found.person, credential: { kind: 'token', id: found.token.id } }
    },

    /** A new personal token: the secret is in this answer only. */
    async createToken(person: Person, name: string, actor: string): Promise<{ token: TokenInfo; secret: string }> {
      const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
      const token = await store.people.createToken({ personId: person.id, name, hash: sha256(secret), prefix: TOKEN_PREFIX }, actor)
      return { token, secret }
    },

    async revokeToken(personId: string, id: string, actor: string): Promise<TokenInfo> {
      const token = await store.people.revokeToken(personId, id, actor)
      ended({ sessions: [], tokens: [id] })
      return token
    },

    /** Creates a person; `password` is checked (length) and hashed, never stored or logged. */
    async createPerson(
      input: { email: string; name: string; admin: boolean; roles: Membership[]; password?: string | undefined },
      actor: string,
    ): Promise<Person> {
      const passwordHash = input.password === undefined ? null : await newHash(input.password)
      return store.people.create({ email: input.email, name: input.name, admin: input.admin, roles: input.roles, passwordHash }, actor)
    },

    /** See {@link changeOwnPassword}. */
    changeOwnPassword: (input: OwnPasswordChange) =>
      changeOwnPassword({ store, throttle: deps.throttle, hash: (password) => newHash(password, 'newPassword'), ended }, input),

    /** Sets a password; every session of the person ends, here and on every replica. */
    async setPassword(personId: string, password: string, actor: string): Promise<Ended> {
      return ended(await store.people.setPassword(personId, await newHash(password), actor))
    },

    /**
     * Changes name, admin flag or roles. Sessions and tokens keep going (rights are read per
     * request); open console streams of the person close and reconnect under the new roles.
     */
    async updatePerson(id: string, patch: { name?: string; admin?: boolean; roles?: Membership[] }, actor: string): Promise<Person> {
      const { person, rightsChanged } = await store.people.update(id, patch, actor)
      deps.onRightsChanged?.(rightsChanged)
      return person
    },

    /** Removes a person: their sessions and tokens end at once, here and on every replica. */
    async removePerson(id: string, actor: string): Promise<Ended> {
      return ended(await store.people.remove(id, actor))
    },

    /** See {@link upsertPersonFromSso}. */
    upsertPersonFromSso: (input: SsoPersonInput) => upsertPersonFromSso({ store, onRightsChanged: deps.onRightsChanged }, input),
  }
}

export type PeopleAuth = ReturnType<typeof createPeopleAuth>

/** A person changing their own password (`POST /api/v1/session/password`). */
export interface OwnPasswordChange {
  person: Person
  currentPassword: string
  newPassword: string
  /** The session making the change, which stays; undefined for a personal token. */
  keepSession: string | undefined
  address: string
}

/**
 * A person changes their own password: the current one is checked first (through the sign-in
 * throttle, so this is no faster way to guess it; a wrong one is 403 naming `currentPassword`,
 * audited `person.password_failed`, and not 401, which would sign the console out). Every
 * other session of the person ends, here and on every replica; the one making the change
 * (`keepSession`) stays. Personal tokens keep working (revoke them apart).
 */
async function changeOwnPassword(
  deps: { store: Store; throttle: SignInThrottle; hash: (password: string) => Promise<string>; ended: (ended: Ended) => Ended },
  input: OwnPasswordChange,
): Promise<Ended> {
  const { store } = deps
  const { person } = input
  const actor = `person:${person.email}`
  const problem = passwordProblem(input.newPassword, 'newPassword')
  if (problem) throw new ValidationError(problem)
  const stored = (await store.people.credentials(person.email))?.passwordHash
  if (!stored)
    throw new ConflictError(`person ${person.email} has no password to change: they sign in by single sign-on (or a global admin sets a first password)`)
  const ok = await deps.throttle.attempt({ account: person.email, address: input.address }, async () =>
    input.currentPassword.length <= MAX_PASSWORD_LENGTH && verifyPassword(input.currentPassword, stored),
  )
  if (!ok) {
    await store.people.audit({ actor, action: 'person.password_failed', details: { address: input.address } })
    throw new ForbiddenError('currentPassword: not your current password; nothing changed')
  }
  if (input.newPassword === input.currentPassword) throw new ValidationError('newPassword: is the current password')
  const options = input.keepSession === undefined ? {} : { keepSession: input.keepSession }
  return deps.ended(await store.people.setPassword(person.id, await deps.hash(input.newPassword), actor, options))
}

/** What a single sign-on callback knows of a person (auth/sso.ts's `SsoPerson`). */
export interface SsoPersonInput {
  email: string
  name: string
  rolesByEnvironment: Record<string, Membership['role']>
  /** Named in `CANARY_ADMIN_EMAILS`. */
  namedAdmin?: boolean
}

/**
 * Just-in-time accounts for single sign-on: creates the person of `email` (no password) or
 * updates their name and roles from the provider's claims. Answers the person to pass to
 * `signInPerson`. Roles from the provider replace the stored ones; a global admin stays one.
 * A person `namedAdmin` (`CANARY_ADMIN_EMAILS`) becomes a global admin when no global admin
 * person exists yet, audited `person.first_admin`.
 */
async function upsertPersonFromSso(
  deps: { store: Store; onRightsChanged?: ((affected: Ended) => void) | undefined },
  input: SsoPersonInput,
): Promise<Person> {
  const { store } = deps
  const roles = Object.entries(input.rolesByEnvironment).map(([environment, role]) => ({ environment, role }))
  const firstAdmin = input.namedAdmin === true && !(await store.people.list()).some((p) => p.admin)
  const existing = await store.people.credentials(input.email)
  let person: Person
  if (existing) {
    const updated = await store.people.update(existing.person.id, { name: input.name, roles, ...(firstAdmin && { admin: true }) }, 'sso')
    deps.onRightsChanged?.(updated.rightsChanged)
    person = updated.person
  } else person = await store.people.create({ email: input.email, name: input.name, admin: firstAdmin, roles, passwordHash: null }, 'sso')
  if (firstAdmin)
    await store.people.audit({ actor: 'sso', action: 'person.first_admin', details: { person: person.email, why: 'named in CANARY_ADMIN_EMAILS; no global admin person existed' } })
  return person
}

/** Whether a bearer secret is a personal token (else it is an API key). */
export const isPersonalToken = (secret: string) => secret.startsWith(TOKEN_PREFIX)

/** 401 for a bearer secret or cookie that names no live credential. */
export const notSignedIn = () => new UnauthorizedError('missing API key: send Authorization: Bearer <key> (an API key or a personal token), or sign in for a session cookie')
