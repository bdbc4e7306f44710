import type { ApiKeyInfo, Person } from '../store/contract.ts'

/**
 * Who is acting on the admin API: an API key (a service identity, with the rights keys always
 * had) or a person, signed in with a session cookie or acting through a personal token. A
 * person's rights are read from their roles when the request is made, so a token never holds
 * more than its person has now.
 */
export type Identity =
  | { type: 'key'; key: ApiKeyInfo }
  | { type: 'person'; person: Person; credential: { kind: 'session' | 'token'; id: string } }

/**
 * What a request does. `read`: any role. `write`: change flags, cohorts, plans, guards and
 * segments (editor). `approve`: approve others' change requests (approver). `admin`: keys,
 * environments, settings (admin). `members`: manage people (a global admin).
 */
export type Action = 'read' | 'write' | 'approve' | 'admin' | 'members'

