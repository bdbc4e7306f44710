import { ForbiddenError } from '../errors.ts'
import type { ApiKeyInfo, Person, Role } from '../store/contract.ts'
import { EVERY_ENVIRONMENT, ROLES } from '../store/contract.ts'
import { authorizeKey } from './api-key.ts'
import type { Action, Identity } from './identity-type.ts'

export type { Action, Identity } from './identity-type.ts'

/** The weakest role that may do an action in an environment. */
const NEEDS: Record<Exclude<Action, 'members'>, Role> = { read: 'viewer', write: 'editor', approve: 'approver', admin: 'admin' }

const rank = (role: Role) => ROLES.indexOf(role)

/** How the audit log names an identity: `person:<email>`, or the key as before (`admin-key:<name>`). */
export function actorOf(identity: Identity): string {
  return identity.type === 'key' ? `${identity.key.kind}-key:${identity.key.name}` : `person:${identity.person.email}`
}

/**
 * A person's role in an environment: `admin` for a global admin, else the stronger of their
 * role there and their role in every environment (`*`). Undefined when they have none.
 */
export function roleIn(person: Person, environment: string): Role | undefined {
  if (person.admin) return 'admin'
  let best: Role | undefined
  for (const m of person.roles)
    if ((m.environment === environment || m.environment === EVERY_ENVIRONMENT) && (best === undefined || rank(m.role) > rank(best)))
      best = m.role
  return best
}

/**
 * The environments an identity may read: `'all'`, or a set. Lists and the audit log show
 * nothing of the others.
 */
export function readableEnvironments(identity: Identity): 'all' | ReadonlySet<string> {
  if (identity.type === 'key') return identity.key.environment === null ? 'all' : new Set([identity.key.environment])
  const { person } = identity
  if (person.admin || person.roles.some((m) => m.environment === EVERY_ENVIRONMENT)) return 'all'
  return new Set(person.roles.map((m) => m.environment))
}

const article = (role: string) => (/^[aeiou]/.test(role) ? 'an' : 'a')

function authorizePerson(person: Person, action: Action, environment: string | undefined): void {
  const who = `person ${person.email}`
  if (action === 'members') {
    if (!person.admin) throw new ForbiddenError(`${who} is not a global admin; managing members needs one`)
    return
  }
  const needed = NEEDS[action]
  // No environment: shared things. Reading them needs any role (lists then show only the
  // environments the person may read); changing them needs the role in every environment.
  if (environment === undefined) {
    if (action === 'read' && (person.admin || person.roles.length > 0)) return
    const role = roleIn(person, EVERY_ENVIRONMENT)
    if (role !== undefined && rank(role) >= rank(needed)) return
    throw new ForbiddenError(`${who} needs ${article(needed)} ${needed} role in every environment (*) for this; they have ${role ?? 'none'}`)
  }
  const role = roleIn(person, environment)
  if (role === undefined) throw new ForbiddenError(`${who} has no role in environment ${environment}`)
  if (rank(role) < rank(needed))
    throw new ForbiddenError(`${who} is ${article(role)} ${role} in environment ${environment}; this needs ${article(needed)} ${needed}`)
}

/**
 * The one authorization of the admin API, the console's stream tickets and every other path
 * where a key or a person acts: throws ForbiddenError (403, saying what is missing) unless
 * `identity` may do `action` in `environment` (undefined: something shared by every
 * environment, or the server itself).
 *
 * Keys keep their rights: an admin key may do everything within its scope (a key bound to an
 * environment only there; changing shared things and members need a global admin key, reading
 * shared lists any admin key); other kinds of key are refused here as before.
 *
 * @example
 * authorize(identity, { action: 'write', environment: 'production' })
 */
export function authorize(identity: Identity, request: { action: Action; environment: string | undefined }): void {
  if (identity.type === 'key') {
    // Shared reads (lists, summaries) are open to every admin key; what they show is cut to
    // the key's environment (`readableEnvironments`).
    const scope = request.action === 'read' && request.environment === undefined ? (identity.key.environment ?? undefined) : request.environment
    authorizeKey(identity.key, { kinds: ['admin'], environment: scope })
  } else authorizePerson(identity.person, request.action, request.environment)
}
