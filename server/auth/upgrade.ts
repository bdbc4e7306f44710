import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { ForbiddenError, NotFoundError } from '../errors.ts'
import type { ErrorResponse } from '../error-response.ts'
import type { ApiKeyInfo, Store } from '../store/contract.ts'
import { authenticate, authorize, secretFrom, type KeyVerifier } from './api-key.ts'

/** The request's headers as a fetch `Headers` (repeated headers joined, as fetch does). */
function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(name, value)
    else if (Array.isArray(value)) headers.set(name, value.join(', '))
  }
  return headers
}

/**
 * Who is upgrading to the stream, and which environment they watch: the same key resolution
 * and scope rules as the HTTP routes. SDK keys watch their own environment; a global admin key
 * (the console) names one with `?env=`; an environment admin key may name only its own.
 * Throws the AppError the refusal is made of.
 */
export async function authenticateUpgrade(
  request: IncomingMessage,
  deps: { keys: KeyVerifier; environmentExists: (envKey: string) => Promise<boolean> },
): Promise<{ key: ApiKeyInfo; environment: string }> {
  const url = new URL(request.url ?? '/', 'http://localhost')
  const key = await authenticate(deps.keys, secretFrom(headersOf(request), url.href, true))
  const requested = url.searchParams.get('env') ?? undefined
  const environment = key.environment ?? requested
  authorize(key, { kinds: ['admin', 'server', 'client'], environment: requested ?? environment })
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
