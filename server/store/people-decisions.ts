import { ConflictError, NotFoundError } from '../errors.ts'
import type { AuditEntry } from './decisions.ts'
import type { Membership, Person, TokenInfo } from './people-contract.ts'

/**
 * The people store's decisions, once for both dialects (as `decisions.ts` is for flags): how
 * rows become a `Person`, the refusals and their messages, and the audit entries. Pure: no
 * database, no clock.
 */

/** Emails are compared and stored lower case, trimmed: `Alice@Example.com` is alice@example.com. */
export const normalEmail = (email: string) => email.trim().toLowerCase()

export const missingPerson = (id: string) => new NotFoundError(`person ${id}`)
export const missingToken = (id: string) => new NotFoundError(`token ${id}`)
export const emailTaken = (email: string) => new ConflictError(`email: ${email} already belongs to a person`)

/** The row fields a person is made of (both dialects' `people` rows have them). */
export interface PersonRowFields {
  id: string
  email: string
  name: string
  admin: boolean
  passwordHash: string | null
  createdAt: number
}

/** A person row and its membership rows as the contract shows them (no password hash). */
export function toPerson(row: PersonRowFields, memberships: ReadonlyArray<{ envKey: string; role: Membership['role'] }>): Person {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    admin: row.admin,
    roles: memberships
      .map((m) => ({ environment: m.envKey, role: m.role }))
      .sort((a, b) => (a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0)),
    hasPassword: row.passwordHash !== null,
    createdAt: row.createdAt,
  }
}

/** Membership rows of a person; a later entry for the same environment replaces an earlier one. */
export function membershipRows(personId: string, roles: readonly Membership[]) {
  const byEnv = new Map(roles.map((m) => [m.environment, m.role]))
  return [...byEnv].map(([envKey, role]) => ({ personId, envKey, role }))
}

/** What the audit log shows of a person: who, never the password hash. */
const audited = (p: Person) => ({ id: p.id, email: p.email, name: p.name, admin: p.admin, roles: p.roles })

export const personCreated = (p: Person, actor: string): AuditEntry => ({ actor, action: 'person.create', after: audited(p) })

/** Whether an update changed what the person may do (roles or the global admin flag). */
export const rightsDiffer = (before: Person, after: Person) =>
  before.admin !== after.admin || JSON.stringify(before.roles) !== JSON.stringify(after.roles)

/** `person.roles` when roles or the admin flag changed (what a security review looks for), else `person.update`. */
export function personUpdated(before: Person, after: Person, actor: string): AuditEntry {
  return { actor, action: rightsDiffer(before, after) ? 'person.roles' : 'person.update', before: audited(before), after: audited(after) }
}

/**
 * 409 for a change that would leave no global admin person (removing or demoting the last one):
 * nobody could then manage members from the console, and a global admin key would be the only
 * way back. `otherAdmins` counts the global admin people other than `person`.
 */
export function lastAdminRefusal(person: Person, change: 'remove' | 'demote', otherAdmins: number): ConflictError | undefined {
  if (!person.admin || otherAdmins > 0) return undefined
  const what = change === 'remove' ? 'removing them' : 'taking their global admin flag'
  return new ConflictError(
    `person ${person.email} is the last global admin: ${what} would leave nobody to manage members; make another person a global admin first`,
  )
}

export const personRemoved = (p: Person, actor: string): AuditEntry => ({ actor, action: 'person.remove', before: audited(p) })

export const passwordChanged = (p: Person, actor: string, endedSessions: number, keptSession: boolean): AuditEntry => ({
  actor,
  action: 'person.password',
  details: { person: p.email, endedSessions, ...(keptSession && { keptOwnSession: true }) },
})

export const tokenCreated = (t: TokenInfo, email: string, actor: string): AuditEntry => ({
  actor,
  action: 'token.create',
  after: { id: t.id, name: t.name, person: email, prefix: t.prefix },
})

export const tokenRevoked = (t: TokenInfo, email: string, actor: string): AuditEntry => ({
  actor,
  action: 'token.revoke',
  before: { id: t.id, name: t.name, person: email },
})

/** A token's revocation time: the first one stays. */
export const revokedAt = (t: TokenInfo, now: number) => t.revokedAt ?? now
