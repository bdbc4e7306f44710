import { Hono, type Context } from 'hono'
import { streamSSE, type SSEStreamingApi } from 'hono/streaming'
import { sdkCors } from '../auth/sdk-cors.ts'
import { errorResponse } from '../error-response.ts'
import { UnauthorizedError } from '../errors.ts'
import { clientAddress, remoteAddressOf } from '../rate-limit/client-address.ts'
import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { KeyIndex } from '../auth/key-index.ts'
import { OFREP_CORS } from './evaluate-routes.ts'
import type { RefetchEvents } from './refetch-events.ts'
import type { StreamTokens } from './stream-token.ts'
import type { StreamsPerToken } from './streams-per-token.ts'

/** How often an idle event stream carries a comment, so proxies and load balancers keep it open. */
const HEARTBEAT_MS = 25_000

export interface OfrepDeps {
  keys: Pick<KeyIndex, 'verify' | 'isLive'>
  rules: EnvRules
  clientLimits: ClientLimits
  events: RefetchEvents
  tokens: StreamTokens
  /** Open streams per token (streams-per-token.ts). */
  perToken: StreamsPerToken
  now: () => number
  log: (message: string, error?: unknown) => void
}

/** What an event stream is for: from its token (stream-token.ts). */
type StreamGrant = NonNullable<ReturnType<StreamTokens['read']>>

/**
 * Relays one environment's refetch events to an open event stream, with a heartbeat, until the
 * peer goes, the events end it (revoked key) or its token expires; then `release`s its slots
 * (the token's, and the client-key connection limit's).
 */
async function relayEvents(
  stream: SSEStreamingApi,
  deps: { rules: EnvRules; events: RefetchEvents; grant: StreamGrant; lastEventId: string | undefined; release: () => void; now: () => number },
): Promise<void> {
  const { rules, events, grant, lastEventId, release } = deps
  let finish = () => {}
  const finished = new Promise<void>((resolve) => (finish = resolve))
  stream.onAbort(() => finish())
  // A peer gone before the listener was registered would never be reported.
  if (stream.aborted) finish()
  const write = (text: string) => void stream.write(text).catch(() => finish())
  // The version as the stream's id, without an event: a reconnect then says where it was.
  write(`retry: 2000\nid: ${rules.get(grant.environment).version}\n\n`)
  const remove = events.open(
    {
      environment: grant.environment,
      audience: grant.audience,
      keyId: grant.keyId,
      expiresAt: grant.expiresAt,
      send: (event) => void stream.writeSSE(event).catch(() => finish()),
      end: () => finish(),
    },
    lastEventId,
  )
  const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS)
  // The token is checked while the stream is open: it ends at the expiry (and `endExpired` on
  // every key re-check catches a late timer). The provider's reconnect is then refused with 401.
  const expiry = setTimeout(finish, Math.max(0, grant.expiresAt - deps.now()))
  try {
    await finished
  } finally {
    clearInterval(heartbeat)
    clearTimeout(expiry)
    remove()
    release()
  }
}

/**
 * The OFREP routes hono serves under `/ofrep/v1`: CORS (preflights of the evaluations too) and
 * the SSE event stream a bulk answer's `eventStreams` points at. The evaluations themselves are
 * SDK routes (evaluate-routes.ts), which both doors of the server serve.
 *
 * @example
 * app.route('/ofrep/v1', ofrepRoutes({ keys, rules, clientLimits, events, tokens, perToken, now, log }))
 */
export function ofrepRoutes(deps: OfrepDeps) {
  const { keys, rules, clientLimits, events, tokens, perToken, now, log } = deps
  const app = new Hono()
  const addressOf = (c: Context) =>
    clientAddress({
      remoteAddress: remoteAddressOf(c),
      forwardedFor: c.req.header('x-forwarded-for'),
      trustedProxies: clientLimits.settings.trustedProxies,
    })

  // CORS of every OFREP route, preflights of the evaluations included (their POSTs are SDK routes: evaluate-routes.ts).
  app.use('*', sdkCors(OFREP_CORS))
  // The event stream: EventSource sends no headers, so the signed token in the URL authorizes.
  app.get('/events', async (c) => {
    const grant = tokens.read(c.req.query('token'))
    if (grant === undefined) throw new UnauthorizedError('invalid or expired event-stream token: fetch the bulk evaluation again')
    await rules.load(grant.environment)
    // After the last wait: a revocation heard meanwhile must not let this stream open. The grant
    // was signed by this process for a key its index checked, so a key missing from it is revoked.
    if (!keys.isLive(grant.keyId)) throw new UnauthorizedError('the key of this event stream was revoked')
    // One token opens a bounded number of streams, so a leaked URL cannot open hundreds.
    const releaseToken = perToken.admit(grant.id)
    // A client key's streams count as its connections do: new ones per minute, open ones at once.
    let releaseClient = () => {}
    if (grant.audience === 'client') {
      try {
        releaseClient = clientLimits.admitConnection(addressOf(c))
      } catch (error) {
        releaseToken()
        throw error
      }
    }
    const release = () => {
      releaseToken()
      releaseClient()
    }
    const lastEventId = c.req.header('last-event-id')
    return streamSSE(c, (stream) => relayEvents(stream, { rules, events, grant, lastEventId, release, now }))
  })

  app.onError((error, c) => {
    const { status, body, headers } = errorResponse(error, log, `${c.req.method} ${c.req.path}`)
    return c.json(body, status as 400, headers)
  })
  return app
}
