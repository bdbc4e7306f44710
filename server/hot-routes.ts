import type { Context, Hono } from 'hono'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import { actorOf, type AuthEnv, type KeyVerifier } from './auth/api-key.ts'
import { AppError } from './errors.ts'
import { answerOf, errorAnswer, type HotAnswer, type HotCall, type HotRequest, type HotRoute } from './exchange/hot-route.ts'
import type { EvidenceIntake } from './guard/evidence-intake.ts'
import type { EnvRules } from './live/env-rules.ts'
import { boundedBody } from './rate-limit/body-limit.ts'
import type { ClientLimits } from './rate-limit/client-limits.ts'
import { remoteAddressOf } from './rate-limit/client-address.ts'
import { evaluateCall, flagStateCall, metricsCall } from './routes/hot-calls.ts'
import type { Credentials } from './auth/access.ts'
import type { ApiKeyInfo, Store } from './store/contract.ts'

/** The largest body of an admin API request (imports excepted). */
export const MAX_BODY_BYTES = 1024 * 1024

/**
 * What every `/api` answer carries: it is data for programs, never a page to sniff or a copy to
 * keep (keys, rules, audit).
 */
export const API_ANSWER_HEADERS: Readonly<Record<string, string>> = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' }

/** The admin API's refusal of a body over `maxSize`, as the app's body limit answers it. */
export const tooLargeError = (maxSize: number) => new AppError(413, 'payload_too_large', `body: larger than ${maxSize} bytes`)

/**
 * The admin API's hot routes: its SDK calls (`POST …/evaluate`, `POST /api/v1/metrics`), with
 * CORS for browser SDKs, and the read of one flag state (no CORS: an admin route); the `/api`
 * answer headers, the API's body limit and error shape.
 */
export function apiHotRoutes(deps: {
  keys: KeyVerifier
  credentials: Credentials
  store: Store
  rules: EnvRules
  clientLimits: ClientLimits
  intake: EvidenceIntake
  now: () => number
  log: (message: string, error?: unknown) => void
}): HotRoute[] {
  const api = {
    maxBodyBytes: MAX_BODY_BYTES,
    tooLarge: () => errorAnswer(tooLargeError(MAX_BODY_BYTES), deps.log, 'body limit'),
    headers: API_ANSWER_HEADERS,
    onError: (error: unknown, call: HotCall) => errorAnswer(error, deps.log, `${call.request.method} ${call.request.path}`),
  }
  const sdk = { ...api, method: 'POST' as const, headers: { 'Access-Control-Allow-Origin': '*', ...API_ANSWER_HEADERS } }
  return [
    { ...sdk, pattern: '/api/v1/environments/:env/evaluate', match: /^\/api\/v1\/environments\/([^/]+)\/evaluate$/, handle: evaluateCall(deps) },
    { ...sdk, pattern: '/api/v1/metrics', match: /^\/api\/v1\/metrics$/, handle: metricsCall(deps) },
    {
      ...api,
      method: 'GET',
      pattern: '/api/v1/environments/:env/flags/:key',
      match: /^\/api\/v1\/environments\/([^/]+)\/flags\/([^/]+)$/,
      handle: flagStateCall(deps),
    },
  ]
}

/** Whether a request is for one of `routes` (its own body limit and checks apply, not the app's). */
export const isHotRoute = (routes: readonly HotRoute[], method: string, path: string) =>
  routes.some((route) => (route.method === method || (route.method === 'GET' && method === 'HEAD')) && route.match.test(path))

/** `scheme://host[:port]` of an absolute URL (the Node adapter always builds absolute ones). */
const originOf = (url: string) => {
  const end = url.indexOf('/', url.indexOf('//') + 2)
  return end === -1 ? url : url.slice(0, end)
}

/** A hono request as a hot route's. */
const honoRequest = (c: Context): HotRequest => ({
  method: c.req.method,
  path: c.req.path,
  header: (name) => c.req.header(name),
  peer: remoteAddressOf(c),
  origin: originOf(c.req.url),
  text: () => c.req.text(),
})

/** A hot route's answer as hono's, with the route group's headers. */
function honoAnswer(c: Context, route: HotRoute, answer: HotAnswer): Response {
  for (const [name, value] of Object.entries(route.headers)) c.header(name, value)
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value)
  const body = answer.body
  if (body === null) return c.body(null, answer.status as StatusCode)
  const bytes = typeof body === 'string' ? body : Buffer.concat(body.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)))
  return c.body(bytes, answer.status as ContentfulStatusCode)
}

/**
 * The hot routes in the hono app, through the same handlers the hot lane runs
 * (node-http/hot-lane.ts): for `app.request()`, and for requests the lane leaves to hono (an
 * unusual Host or path, HEAD). Mounted after the app's middleware, which apply here as to any
 * route, except the body limit and the access check, which are the route's own (`isHotRoute`).
 */
export function mountHotRoutes(app: Hono<AuthEnv>, routes: readonly HotRoute[]): void {
  for (const route of routes) {
    const limit = boundedBody({ maxSize: route.maxBodyBytes, onError: (c) => honoAnswer(c, route, route.tooLarge()) })
    // The parameters in the pattern's order, as the lane's regular expression gives them.
    const names = [...route.pattern.matchAll(/:(\w+)/g)].map(([, name]) => name!)
    app.on(route.method, route.pattern, limit, async (c) => {
      const call: HotCall = { request: honoRequest(c), params: names.map((name) => c.req.param(name) as string) }
      const answer = await answerOf(route, call)
      // What the request log reads of who acted.
      if (call.key) {
        c.set('apiKey', call.key as ApiKeyInfo)
        c.set('actor', actorOf(call.key))
      } else if (call.actor) c.set('actor', call.actor)
      return honoAnswer(c, route, answer)
    })
  }
}
