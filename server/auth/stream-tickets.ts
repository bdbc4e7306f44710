import { createHash, randomBytes } from 'node:crypto'
import { ForbiddenError, UnauthorizedError } from '../errors.ts'
import type { ApiKeyInfo } from '../store/contract.ts'
import type { Identity } from './identity-type.ts'
import { credentialId } from './key-index.ts'

/** How long a stream ticket may wait for its upgrade: enough for one connect, useless in a log. */
export const STREAM_TICKET_TTL_MS = 30_000

/** Outstanding tickets past which expired ones are swept on the next issue (memory stays bounded). */
const SWEEP_AT = 1_000

interface Ticket {
  key: ApiKeyInfo
  environment: string
  expiresAt: number
}

/**
 * Whom a console stream belongs to, in the form the stream and the key index know: a key as
 * itself; a person as an admin-kind principal of one environment whose id names the session or
 * token it was opened with (`session:<id>`, `token:<id>`), so that ending that credential
 * (`keys.markRevoked`, here or announced by another replica) closes the stream as a revoked
 * key's is. The console feed only ever needs the `admin` kind; rights were checked when the
 * ticket was issued.
 */
export function streamPrincipal(identity: Identity, environment: string): ApiKeyInfo {
  if (identity.type === 'key') return identity.key
  return {
    id: credentialId(identity.credential.kind, identity.credential.id),
    name: `person:${identity.person.email}`,
    kind: 'admin',
    environment,
    prefix: identity.credential.kind,
    createdAt: identity.person.createdAt,
    revokedAt: null,
  }
}

/** The `Sec-WebSocket-Protocol` entry that carries a ticket: `ticket.<ticket>`. */
export const TICKET_PROTOCOL_PREFIX = 'ticket.'

/**
 * Single-use tickets for the stream upgrade. A browser cannot set headers on a WebSocket, and a
 * key that is not a valid sub-protocol token (an operator key with spaces) would otherwise ride
 * in the URL, which proxies log. The console asks `POST /api/v1/stream-tickets` with its key in
 * `Authorization` and opens the socket with the answer: an opaque random ticket, valid for
 * `STREAM_TICKET_TTL_MS`, redeemable once, for that key and environment only, and dead with its
 * key (`isLive` is asked at redemption; `forgetRevoked` drops it at once).
 *
 * Tickets live in this process: behind replicas without sticky sessions an upgrade reaching
 * another replica is refused (401) and the console reconnects with a fresh ticket.
 *
 * @example
 * const tickets = createStreamTickets({ now: Date.now, isLive: keys.isLive })
 * const { ticket } = tickets.issue(key, 'production')
 * tickets.redeem(ticket, 'production') // the key; a second redeem throws 401
 */
export function createStreamTickets(deps: { now: () => number; isLive: (keyId: string) => boolean }) {
  const tickets = new Map<string, Ticket>()
  const digest = (ticket: string) => createHash('sha256').update(ticket).digest('hex')

  function sweep(): void {
    const at = deps.now()
    for (const [id, ticket] of tickets) if (ticket.expiresAt <= at) tickets.delete(id)
  }

  return {
    /** A fresh ticket for `key` to watch `environment` (scope checked by the caller's route). */
    issue(key: ApiKeyInfo, environment: string): { ticket: string; expiresAt: number } {
      if (tickets.size >= SWEEP_AT) sweep()
      const ticket = randomBytes(32).toString('base64url')
      const expiresAt = deps.now() + STREAM_TICKET_TTL_MS
      tickets.set(digest(ticket), { key, environment, expiresAt })
      return { ticket, expiresAt }
    },
    /**
     * The key a ticket was issued to, consuming it: 401 when it is unknown, used, expired or its
     * key revoked; 403 when it names another environment than the one the upgrade asks for.
     */
    redeem(ticket: string, environment: string | undefined): { key: ApiKeyInfo; environment: string } {
      const id = digest(ticket)
      const found = tickets.get(id)
      tickets.delete(id) // single use, whatever the outcome
      if (found === undefined || found.expiresAt <= deps.now() || !deps.isLive(found.key.id))
        throw new UnauthorizedError('invalid, used or expired stream ticket: ask POST /api/v1/stream-tickets for a new one')
      if (environment !== undefined && environment !== found.environment)
        throw new ForbiddenError(`this stream ticket is for environment ${found.environment}, not ${environment}`)
      return { key: found.key, environment: found.environment }
    },
    /** Drops the tickets of revoked keys (auth/key-index.ts `onRevoked`). */
    forgetRevoked(isRevoked: (keyId: string) => boolean): void {
      for (const [id, ticket] of tickets) if (isRevoked(ticket.key.id)) tickets.delete(id)
    },
    /** Outstanding tickets (tests). */
    size: () => tickets.size,
  }
}

export type StreamTickets = ReturnType<typeof createStreamTickets>
