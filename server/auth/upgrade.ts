import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.ts'
import type { ErrorResponse } from '../error-response.ts'
import type { ApiKeyInfo, Store } from '../store/contract.ts'
import { authenticate, authorizeKey, secretFrom, type KeyVerifier } from './api-key.ts'
import { TICKET_PROTOCOL_PREFIX, type StreamTickets } from './stream-tickets.ts'

/** The request's headers as a fetch `Headers` (repeated headers joined, as fetch does). */
function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(name, value)
    else if (Array.isArray(value)) headers.set(name, value.join(', '))
  }
  return headers
}

/** The `ticket.<ticket>` sub-protocol entry's ticket, if one was offered. */
function ticketFrom(headers: Headers): string | undefined {
  const protocols = headers.get('sec-websocket-protocol')?.split(',').map((p) => p.trim()) ?? []
  return protocols.find((p) => p.startsWith(TICKET_PROTOCOL_PREFIX))?.slice(TICKET_PROTOCOL_PREFIX.length) || undefined
}

/**
 * The key of an upgrade: a stream ticket's (consumed), or the secret in `Authorization`, in a
 * `key.<key>` sub-protocol or, for SDK keys only, in `?key=`. An admin key in the URL is refused:
 * proxies and access logs keep URLs, and the console has tickets instead.
 */
async function keyOfUpgrade(
  headers: Headers,
  url: URL,
  deps: { keys: KeyVerifier; tickets: Pick<StreamTickets, 'redeem'> },
): Promise<{ key: ApiKeyInfo; ticketEnvironment?: string }> {
  const ticket = ticketFrom(headers)
  if (ticket !== undefined) {
    const redeemed = deps.tickets.redeem(ticket, url.searchParams.get('env') ?? undefined)
    return { key: redeemed.key, ticketEnvironment: redeemed.environment }
  }
  const inHeaders = secretFrom(headers, 'http://localhost/', true) // no query: headers and sub-protocols only
  const inUrl = inHeaders === undefined ? url.searchParams.get('key') || undefined : undefined
  const key = await authenticate(deps.keys, inHeaders ?? inUrl)
  if (inUrl !== undefined && key.kind === 'admin')
    throw new UnauthorizedError(
      'an admin key is not accepted in the URL (proxies log URLs): send it in Authorization, or open the socket with a ticket from POST /api/v1/stream-tickets',
    )
  return { key }
}

/**
 * Who is upgrading to the stream, and which environment they watch: the same key resolution
 * and scope rules as the HTTP routes. SDK keys watch their own environment; a global admin key
 * (the console) names one with `?env=`; an environment admin key may name only its own; a
 * ticket watches the environment it was issued for.
 * Throws the AppError the refusal is made of.
 */
export async function authenticateUpgrade(
  request: IncomingMessage,
  deps: { keys: KeyVerifier; tickets: Pick<StreamTickets, 'redeem'>; environmentExists: (envKey: string) => Promise<boolean> },
): Promise<{ key: ApiKeyInfo; environment: string }> {
  const url = new URL(request.url ?? '/', 'http://localhost')
  const { key, ticketEnvironment } = await keyOfUpgrade(headersOf(request), url, deps)
  const requested = ticketEnvironment ?? url.searchParams.get('env') ?? undefined
  const environment = key.environment ?? requested
  authorizeKey(key, { kinds: ['admin', 'server', 'client'], environment: requested ?? environment })
  if (!environment) throw new ForbiddenError('a global admin key must name the environment to watch with ?env=')
  if (!(await deps.environmentExists(environment))) throw new NotFoundError(`environment ${environment}`)
  return { key, environment }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
}

/** Writes a refusal on the raw socket of an upgrade request (no WebSocket was opened). */
export function writeUpgradeRefusal(socket: Duplex, response: ErrorResponse): void {
  const body = JSON.stringify(response.body)
  const extra = Object.entries(response.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
  socket.end(
    `HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  )
}
