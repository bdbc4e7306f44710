import { createHash } from 'node:crypto'
import { authenticate, authorizeKey, bearerSecret } from '../auth/api-key.ts'
import type { KeyIndex } from '../auth/key-index.ts'
import { corsHeaders } from '../auth/sdk-cors.ts'
import { ForbiddenError } from '../errors.ts'
import { errorAnswer, jsonAnswer, type HotAnswer, type HotCall, type HotRequest, type HotRoute } from '../exchange/hot-route.ts'
import type { EnvRules } from '../live/env-rules.ts'
import { requestAddress } from '../rate-limit/client-address.ts'
import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { ApiKeyInfo } from '../store/contract.ts'
import { createBulkAnswers, type BulkAnswer } from './bulk-answer.ts'
import { evaluateForOfrep, userFromContext, type Audience } from './evaluation.ts'
import type { StreamTokens } from './stream-token.ts'

/** OFREP request bodies are a context of a few attributes; anything near this is abuse. */
export const OFREP_MAX_BODY_BYTES = 64 * 1024

/** How long a browser tab may sit hidden before its provider closes the event stream (ADR 0008). */
const INACTIVITY_DELAY_SEC = 120

/** CORS of every OFREP route: browser providers send their key, the ETag and the stream's last event id. */
export const OFREP_CORS = {
  allowHeaders: ['authorization', 'content-type', 'x-api-key', 'if-none-match', 'last-event-id'],
  allowMethods: ['GET', 'POST'],
  exposeHeaders: ['ETag'],
  maxAge: 600,
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

/** The context of an OFREP request body's text: `{ context?: object }`, anything else refused. */
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
function publicOrigin(request: HotRequest, trustedProxies: number, ownUrl: (origin: string) => URL): string {
  const own = ownUrl(request.origin)
  if (trustedProxies === 0) return own.origin
  const proto = request.header('x-forwarded-proto')?.split(',')[0]?.trim()
  const host = request.header('x-forwarded-host')?.split(',')[0]?.trim() || request.header('host')
  return proto === 'http' || proto === 'https' ? `${proto}://${host ?? own.host}` : own.origin
}

/**
 * The request's origin parsed as a `URL`, remembered for the last one seen: a server answers
 * under one or a few names, and parsing every bulk request's URL was a noticeable share of it.
 * One entry, so a client sending many Host headers cannot grow it.
 */
function lastOrigin(): (origin: string) => URL {
  let lastText: string | undefined
  let last: URL | undefined
  return (origin) => {
    if (origin !== lastText || last === undefined) {
      last = new URL(origin)
      lastText = origin
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

/**
 * The `eventStreams` of a bulk answer: one SSE stream at `origin` + `requestUri`, as
 * `JSON.stringify([{ type: 'sse', url, endpoint: { requestUri }, inactivityDelaySec }])` writes
 * it (test/openfeature/ofrep-routes.test.ts reads it back). `requestUri` is a path of URL-safe
 * characters; the origin, a normalized URL origin, is escaped like any string.
 */
function eventStreamsJson(): (origin: string, requestUri: string) => string {
  let lastOrigin: string | undefined
  let originJson = ''
  return (origin, requestUri) => {
    if (origin !== lastOrigin) {
      lastOrigin = origin
      originJson = JSON.stringify(origin).slice(0, -1)
    }
    return `[{"type":"sse","url":${originJson}${requestUri}","endpoint":{"requestUri":"${requestUri}"},"inactivityDelaySec":${INACTIVITY_DELAY_SEC}}]`
  }
}

/** Who an evaluation is for: the key, its environment (its rules loaded) and what it may see. */
interface Evaluator {
  key: ApiKeyInfo
  environment: string
  audience: Audience
}

/**
 * The OFREP evaluations (OFREP 0.3.0), `POST /ofrep/v1/evaluate/flags/{key}` and
 * `POST /ofrep/v1/evaluate/flags` (ETag, 304, and the event-stream URL), as SDK routes both doors
 * of the server serve (exchange/hot-route.ts). Keys are the SDK keys (`Authorization: Bearer`
 * or `X-API-Key`): a server key sees every flag of its environment, with the detailed reason in
 * `metadata.canaryReason`; a client key sees client-visible flags only, with generic reasons, a
 * hidden flag answering exactly like a missing one, within the client evaluation rate limit.
 * Refusals before the evaluation are the server's error shape; the evaluation's own are OFREP's.
 *
 * @example
 * const [bulk, single] = ofrepEvaluations({ keys, rules, clientLimits, tokens, log })
 */
export function ofrepEvaluations(deps: {
  keys: Pick<KeyIndex, 'verify'>
  rules: EnvRules
  clientLimits: ClientLimits
  tokens: StreamTokens
  log: (message: string, error?: unknown) => void
}): [bulk: HotRoute, single: HotRoute] {
  const { keys, rules, clientLimits, tokens, log } = deps
  const bulkAnswer = createBulkAnswers(etagOf)
  const ownUrl = lastOrigin()
  const publicUrl = lastOrigin()
  const streamsJson = eventStreamsJson()
  /**
   * A bulk answer's body up to its `eventStreams`, encoded once for an answer given again: at 350
   * flags, measuring and encoding the 38 KB text anew was a third of the request. An answer
   * given once (a new user's) is written as text (`null`: seen once), so it leaves no encoded
   * copy behind.
   */
  const openings = new WeakMap<BulkAnswer, Buffer | null>()
  const openingOf = (answer: BulkAnswer): string | Buffer => {
    const opening = openings.get(answer)
    if (opening) return opening
    const text = `{"flags":${answer.flagsJson},"eventStreams":`
    if (opening === undefined) {
      openings.set(answer, null)
      return text
    }
    const encoded = Buffer.from(text)
    openings.set(answer, encoded)
    return encoded
  }

  /** One authentication for all evaluations: SDK keys, bound to one environment. */
  async function evaluator(call: HotCall): Promise<Evaluator> {
    const request = call.request
    const key = await authenticate(keys, request.header('x-api-key') || bearerSecret(request.header('authorization')))
    call.key = key
    authorizeKey(key, { kinds: ['server', 'client'], environment: key.environment ?? undefined })
    if (key.environment === null) throw new ForbiddenError('an SDK key bound to an environment is needed')
    const audience: Audience = key.kind === 'client' ? 'client' : 'server'
    if (audience === 'client') {
      // Each answer is a guess at who is in which cohort: client keys share the HTTP evaluation budget.
      clientLimits.admitEvaluation(requestAddress(request, clientLimits.settings.trustedProxies))
    }
    // Loaded once per environment; evaluations then read it synchronously.
    await rules.load(key.environment)
    return { key, environment: key.environment, audience }
  }

  async function single(call: HotCall): Promise<HotAnswer> {
    const flag = call.params[0]!
    const { environment: env, audience } = await evaluator(call)
    let context: Record<string, unknown>
    try {
      context = contextFrom(await call.request.text())
    } catch (error) {
      if (error instanceof OfrepRequestError) return jsonAnswer(400, { key: flag, errorCode: error.errorCode, errorDetails: error.message })
      throw error
    }
    const entry = evaluateForOfrep(rules.get(env), rules.clientVisible(env), flag, userFromContext(context), audience)
    if (entry === undefined) return jsonAnswer(404, { key: flag, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag ${flag} not found` })
    // Our flags always answer with an explicit value, so every success is cacheable only until the next change.
    return 'errorCode' in entry ? jsonAnswer(400, entry) : jsonAnswer(200, { ...entry, cacheable: false })
  }

  async function bulk(call: HotCall): Promise<HotAnswer> {
    const { key, environment: env, audience } = await evaluator(call)
    const request = call.request
    const text = await request.text()
    // The tag covers what was evaluated, not the stream URL (whose token is fresh every time),
    // and the body embeds the same text (bulk-answer.ts keeps both per version, and the answer
    // to each recent context).
    let answer: BulkAnswer
    try {
      answer = bulkAnswer.forText(rules.get(env), rules.clientVisible(env), text, audience, (t) => userFromContext(contextFrom(t)))
    } catch (error) {
      if (error instanceof OfrepRequestError) return jsonAnswer(400, { errorCode: error.errorCode, errorDetails: error.message })
      throw error
    }
    const { etag } = answer
    const headers = { ETag: etag, 'Cache-Control': 'private, no-cache' }
    if (matchesIfNoneMatch(request.header('if-none-match'), etag)) return { status: 304, headers, body: null }
    const requestUri = `/ofrep/v1/events?token=${tokens.issue(key, env)}`
    // `eventStreams` by hand, around the one part that changes (the token: base64url characters
    // and a dot, nothing to escape); the origin is escaped once per origin (`streamsJson`).
    const origin = publicUrl(publicOrigin(request, clientLimits.settings.trustedProxies, ownUrl)).origin
    const body = [openingOf(answer), `${streamsJson(origin, requestUri)}}`]
    return { status: 200, headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, body }
  }

  const group = {
    method: 'POST' as const,
    maxBodyBytes: OFREP_MAX_BODY_BYTES,
    tooLarge: () => jsonAnswer(400, { errorCode: 'PARSE_ERROR', errorDetails: `body: larger than ${OFREP_MAX_BODY_BYTES} bytes` }),
    headers: corsHeaders(OFREP_CORS),
    onError: (error: unknown, call: HotCall) => errorAnswer(error, log, `${call.request.method} ${call.request.path}`),
  }
  return [
    { ...group, pattern: '/ofrep/v1/evaluate/flags', match: /^\/ofrep\/v1\/evaluate\/flags$/, handle: bulk },
    { ...group, pattern: '/ofrep/v1/evaluate/flags/:key', match: /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)$/, handle: single },
  ]
}
