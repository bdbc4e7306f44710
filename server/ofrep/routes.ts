import { createHash } from 'node:crypto'
import { boundedBody } from '../rate-limit/body-limit.ts'
import { Hono, type Context } from 'hono'
import { streamSSE, type SSEStreamingApi } from 'hono/streaming'
import { authenticate, authorizeKey, secretFrom } from '../auth/api-key.ts'
import { sdkCors } from '../auth/sdk-cors.ts'
import { errorResponse } from '../error-response.ts'
import { ForbiddenError, UnauthorizedError } from '../errors.ts'
import { clientAddress, remoteAddressOf } from '../rate-limit/client-address.ts'
import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { KeyIndex } from '../auth/key-index.ts'
import type { ApiKeyInfo } from '../store/contract.ts'
import { createBulkAnswers, type BulkAnswer } from './bulk-answer.ts'
import { evaluateForOfrep, userFromContext, type Audience } from './evaluation.ts'
import type { RefetchEvents } from './refetch-events.ts'
import type { StreamTokens } from './stream-token.ts'
import type { StreamsPerToken } from './streams-per-token.ts'

/** OFREP request bodies are a context of a few attributes; anything near this is abuse. */
export const OFREP_MAX_BODY_BYTES = 64 * 1024

/** How long a browser tab may sit hidden before its provider closes the event stream (ADR 0008). */
const INACTIVITY_DELAY_SEC = 120

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

/** A refusal in OFREP's shape (`errorCode`, `errorDetails`), with the flag's key on single evaluations. */
class OfrepRequestError extends Error {
  constructor(
    readonly errorCode: 'INVALID_CONTEXT' | 'PARSE_ERROR',
    message: string,
  ) {
    super(message)
  }
}

/** The context of an OFREP request body: `{ context?: object }`, anything else refused. */
async function contextOf(c: Context): Promise<Record<string, unknown>> {
  return contextFrom(await c.req.text())
}

/** The context in an OFREP request body's text (see `contextOf`). */
function contextFrom(text: string): Record<string, unknown> {
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new OfrepRequestError('PARSE_ERROR', `body: invalid JSON (${(error as Error).message})`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new OfrepRequestError('PARSE_ERROR', 'body: must be a JSON object {"context": {...}}')
  const context = (body as { context?: unknown }).context
  if (context === undefined || context === null) return {}
  if (typeof context !== 'object' || Array.isArray(context))
    throw new OfrepRequestError('INVALID_CONTEXT', 'context: must be an object of attributes')
  const targetingKey = (context as { targetingKey?: unknown }).targetingKey
  if (targetingKey !== undefined && typeof targetingKey !== 'string')
    throw new OfrepRequestError('INVALID_CONTEXT', 'context.targetingKey: must be a string')
  return context as Record<string, unknown>
}

/**
 * The origin browsers reach this server at, for the absolute event-stream URL: the request's
 * own, or behind trusted proxies the one they report (`X-Forwarded-Proto`/`-Host`), so a page on
 * https is not handed an http URL. Providers that take `endpoint.requestUri` use their base URL.
 */
function publicOrigin(c: Context, trustedProxies: number, ownUrl: (url: string) => URL): string {
  const own = ownUrl(c.req.url)
  if (trustedProxies === 0) return own.origin
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim()
  const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim() || c.req.header('host')
  return proto === 'http' || proto === 'https' ? `${proto}://${host ?? own.host}` : own.origin
}

/**
 * The request URL's scheme and host parsed as a `URL`, remembered for the last one seen: a
 * server answers under one or a few names, and parsing every bulk request's URL was a
 * noticeable share of it. One entry, so a client sending many Host headers cannot grow it.
 */
function lastOrigin(): (url: string) => URL {
  let lastPrefix: string | undefined
  let last: URL | undefined
  return (url) => {
    // `http://host[:port]` — up to the path's slash (the adapter always builds absolute URLs).
    const end = url.indexOf('/', url.indexOf('//') + 2)
    const prefix = end === -1 ? url : url.slice(0, end)
    if (prefix !== lastPrefix || last === undefined) {
      last = new URL(prefix)
      lastPrefix = prefix
    }
    return last
  }
}

/** The strong ETag of an evaluated body: equal answers, equal tags, whatever the process. */
export const etagOf = (body: string) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`

/** Whether `If-None-Match` (a list of tags, weak or strong, or `*`) names this tag. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((raw) => {
    const tag = raw.trim().replace(/^W\//, '')
    return tag === '*' || tag === etag
  })
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
 * The OpenFeature Remote Evaluation Protocol (OFREP 0.3.0) on the flag server:
 * `POST /ofrep/v1/evaluate/flags/{key}`, `POST /ofrep/v1/evaluate/flags` (ETag, 304) and the SSE
 * event stream its `eventStreams` points at. Keys are the SDK keys (`Authorization: Bearer` or
 * `X-API-Key`): a server key sees every flag of its environment, with the detailed reason in
 * `metadata.canaryReason`; a client key sees client-visible flags only, with generic reasons, a
 * hidden flag answering exactly like a missing one, within the client evaluation rate limit.
 *
 * @example
 * app.route('/ofrep/v1', ofrepRoutes({ keys, rules, clientLimits, events, tokens, log }))
 */
export function ofrepRoutes(deps: OfrepDeps) {
  const { keys, rules, clientLimits, events, tokens, perToken, now, log } = deps
  const bulkAnswer = createBulkAnswers(etagOf)
  const ownUrl = lastOrigin()
  const app = new Hono<{ Variables: { key: ApiKeyInfo; environment: string; audience: Audience } }>()
  const addressOf = (c: Context) =>
    clientAddress({
      remoteAddress: remoteAddressOf(c),
      forwardedFor: c.req.header('x-forwarded-for'),
      trustedProxies: clientLimits.settings.trustedProxies,
    })

  app.use(
    '*',
    sdkCors({
      allowHeaders: ['authorization', 'content-type', 'x-api-key', 'if-none-match', 'last-event-id'],
      allowMethods: ['GET', 'POST'],
      exposeHeaders: ['ETag'],
      maxAge: 600,
    }),
  )
  app.use(
    '/evaluate/*',
    boundedBody({
      maxSize: OFREP_MAX_BODY_BYTES,
      onError: (c) => c.json({ errorCode: 'PARSE_ERROR', errorDetails: `body: larger than ${OFREP_MAX_BODY_BYTES} bytes` }, 400),
    }),
  )
  // One authentication for all evaluations: SDK keys, bound to one environment.
  app.use('/evaluate/*', async (c, next) => {
    const secret = c.req.header('x-api-key') || secretFrom(c.req.raw.headers, c.req.url, false)
    const key = await authenticate(keys, secret)
    authorizeKey(key, { kinds: ['server', 'client'], environment: key.environment ?? undefined })
    if (key.environment === null) throw new ForbiddenError('an SDK key bound to an environment is needed')
    const audience: Audience = key.kind === 'client' ? 'client' : 'server'
    if (audience === 'client') {
      // Each answer is a guess at who is in which cohort: client keys share the HTTP evaluation budget.
      clientLimits.admitEvaluation(addressOf(c))
    }
    // Loaded once per environment; evaluations then read it synchronously.
    await rules.load(key.environment)
    c.set('key', key)
    c.set('environment', key.environment)
    c.set('audience', audience)
    await next()
  })

  app.post('/evaluate/flags/:key', async (c) => {
    const flag = c.req.param('key')
    let context: Record<string, unknown>
    try {
      context = await contextOf(c)
    } catch (error) {
      if (error instanceof OfrepRequestError) return c.json({ key: flag, errorCode: error.errorCode, errorDetails: error.message }, 400)
      throw error
    }
    const env = c.get('environment')
    const entry = evaluateForOfrep(rules.get(env), rules.clientVisible(env), flag, userFromContext(context), c.get('audience'))
    if (entry === undefined) return c.json({ key: flag, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag ${flag} not found` }, 404)
    // Our flags always answer with an explicit value, so every success is cacheable only until the next change.
    return 'errorCode' in entry ? c.json(entry, 400) : c.json({ ...entry, cacheable: false })
  })

  app.post('/evaluate/flags', async (c) => {
    const env = c.get('environment')
    const text = await c.req.text()
    // The tag covers what was evaluated, not the stream URL (whose token is fresh every time),
    // and the body embeds the same text (bulk-answer.ts keeps both per version, and the answer
    // to each recent context).
    let answer: BulkAnswer
    try {
      answer = bulkAnswer.forText(rules.get(env), rules.clientVisible(env), text, c.get('audience'), (t) => userFromContext(contextFrom(t)))
    } catch (error) {
      if (error instanceof OfrepRequestError) return c.json({ errorCode: error.errorCode, errorDetails: error.message }, 400)
      throw error
    }
    const { flagsJson, etag } = answer
    c.header('ETag', etag)
    c.header('Cache-Control', 'private, no-cache')
    if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304)
    const requestUri = `/ofrep/v1/events?token=${tokens.issue(c.get('key'), env)}`
    const eventStreams = [
      {
        type: 'sse',
        url: new URL(requestUri, publicOrigin(c, clientLimits.settings.trustedProxies, ownUrl)).href,
        endpoint: { requestUri },
        inactivityDelaySec: INACTIVITY_DELAY_SEC,
      },
    ]
    const body = `{"flags":${flagsJson},"eventStreams":${JSON.stringify(eventStreams)}}`
    return c.body(body, 200, { 'Content-Type': 'application/json; charset=utf-8' })
  })

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
