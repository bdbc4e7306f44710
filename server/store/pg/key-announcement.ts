/**
 * The NOTIFY channel on which a key's revocation is announced to the replicas. Sent inside the
 * revoking transaction, so it is delivered at commit and, on the one LISTEN connection of each
 * replica (replication/change-feed.ts), in commit order with `canary_changes`.
 */
export const KEYS_CHANNEL = 'canary_keys'

const REVOKED = 'revoked:'
const RIGHTS = 'rights:'

/** The payload announcing that key `id` was revoked. */
export const revocationAnnouncement = (id: string): string => `${REVOKED}${id}`

/**
 * The payload announcing that a person's session or personal token ended (signed out, password
 * changed, token revoked, person removed). It names the credential as its live connections
 * know it (`session:<id>`, `token:<id>`), so the key index closes them as it does a key's.
 */
export const credentialAnnouncement = (kind: 'session' | 'token', id: string): string => revocationAnnouncement(`${kind}:${id}`)

/** The payload announcing that the roles of a person changed, naming one session or token of theirs. */
export const rightsAnnouncement = (kind: 'session' | 'token', id: string): string => `${RIGHTS}${kind}:${id}`

/**
 * What an announcement on `canary_keys` says: a revoked key or ended credential, or a
 * credential whose person's roles changed; undefined for a payload that is neither.
 *
 * @example
 * parseKeyAnnouncement(revocationAnnouncement('k1')) // { revoked: 'k1' }
 * parseKeyAnnouncement(rightsAnnouncement('session', 's1')) // { rightsChanged: 'session:s1' }
 */
export function parseKeyAnnouncement(payload: string): { revoked: string } | { rightsChanged: string } | undefined {
  if (payload.startsWith(REVOKED) && payload.length > REVOKED.length) return { revoked: payload.slice(REVOKED.length) }
  if (payload.startsWith(RIGHTS) && payload.length > RIGHTS.length) return { rightsChanged: payload.slice(RIGHTS.length) }
  return undefined
}
