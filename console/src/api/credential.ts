/**
 * How the console authenticates: an admin key held in this tab (`Authorization: Bearer`), or a
 * person's session, whose secret is in an httpOnly cookie the console never sees. Writes made
 * with the cookie carry the CSRF header the server requires (server/auth/access.ts).
 */
export type Credential = { kind: 'key'; key: string } | { kind: 'session'; email: string }

/** The header every cookie-authenticated write must carry. */
export const CSRF_HEADER = 'x-canary-csrf'

/** The headers that authenticate a request of `method` with `credential`. */
export function authHeaders(credential: Credential, method: string): Record<string, string> {
  if (credential.kind === 'key') return { authorization: `Bearer ${credential.key}` }
  return method === 'GET' || method === 'HEAD' ? {} : { [CSRF_HEADER]: '1' }
}
