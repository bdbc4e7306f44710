import type { Context, Hono } from 'hono'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import { actorOf, type AuthEnv, type KeyVerifier } from './auth/api-key.ts'
import { errorResponse } from './error-response.ts'
import { AppError } from './errors.ts'
import { answerOf, jsonAnswer, type SdkAnswer, type SdkCall, type SdkRequest, type SdkRoute } from './exchange/sdk-exchange.ts'
import type { EvidenceIntake } from './guard/evidence-intake.ts'
import type { EnvRules } from './live/env-rules.ts'
import { boundedBody } from './rate-limit/body-limit.ts'
import type { ClientLimits } from './rate-limit/client-limits.ts'
import { remoteAddressOf } from './rate-limit/client-address.ts'
import { evaluateCall, metricsCall } from './routes/sdk-calls.ts'
import type { ApiKeyInfo } from './store/contract.ts'

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
 * The SDK calls of the admin API (`POST …/evaluate`, `POST /api/v1/metrics`) as SDK routes: the
 * `/api` answer headers with CORS for browser SDKs, the API's body limit and error shape.
 */
export function apiSdkRoutes(deps: { keys: KeyVerifier; rules: EnvRules; clientLimits: ClientLimits; intake: EvidenceIntake; now: () => number; log: (message: string, error?: unknown) => void }): SdkRoute[] {
  const answerTo = (error: unknown, where: string) => {
    const { status, body, headers } = errorResponse(error, deps.log, where)
    return jsonAnswer(status, body, headers)
  }
  const group = {
    method: 'POST' as const,
    maxBodyBytes: MAX_BODY_BYTES,
    tooLarge: () => answerTo(tooLargeError(MAX_BODY_BYTES), 'body limit'),
    headers: { 'Access-Control-Allow-Origin': '*', ...API_ANSWER_HEADERS },
    onError: (error: unknown, call: SdkCall) => answerTo(error, `${call.request.method} ${call.request.path}`),
  }
  return [
    { ...group, pattern: '/api/v1/environments/:env/evaluate', match: /^\/api\/v1\/environments\/([^/]+)\/evaluate$/, handle: evaluateCall(deps) },
    { ...group, pattern: '/api/v1/metrics', match: /^\/api\/v1\/metrics$/, handle: metricsCall(deps) },
  ]
}

/** `scheme://host[:port]` of an absolute URL (the Node adapter always builds absolute ones). */
const originOf = (url: string) => {
  const end = url.indexOf('/', url.indexOf('//') + 2)
  return end === -1 ? url : url.slice(0, end)
}

/** A hono request as an SDK request. */
const honoRequest = (c: Context): SdkRequest => ({
  method: c.req.method,
  path: c.req.path,
  header: (name) => c.req.header(name),
  peer: remoteAddressOf(c),
  origin: originOf(c.req.url),
  text: () => c.req.text(),
})

/** An SDK answer as hono's, with the route group's headers. */
function honoAnswer(c: Context, route: SdkRoute, answer: SdkAnswer): Response {
  for (const [name, value] of Object.entries(route.headers)) c.header(name, value)
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value)
  return answer.body === null ? c.body(null, answer.status as StatusCode) : c.body(answer.body, answer.status as ContentfulStatusCode)
}

/**
 * The SDK routes in the hono app, through the same handlers the SDK lane runs
 * (node-http/sdk-lane.ts): for `app.request()`, and for requests the lane leaves to hono (an
 * unusual Host or path). Mounted after the app's middleware, which apply here as to any route.
 */
export function mountSdkRoutes(app: Hono<AuthEnv>, routes: readonly SdkRoute[]): void {
  for (const route of routes) {
    const limit = boundedBody({ maxSize: route.maxBodyBytes, onError: (c) => honoAnswer(c, route, route.tooLarge()) })
    app.post(route.pattern, limit, async (c) => {
      const call: SdkCall = { request: honoRequest(c), param: Object.values(c.req.param() as Record<string, string>)[0] ?? '' }
      const answer = await answerOf(route, call)
      if (call.key) {
        // What the request log and `limitWrites` read of who acted.
        c.set('apiKey', call.key as ApiKeyInfo)
        c.set('actor', actorOf(call.key as ApiKeyInfo))
      }
      return honoAnswer(c, route, answer)
    })
  }
}
