import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { boundedBody } from './rate-limit/body-limit.ts'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { requireKey, type AuthEnv } from './auth/api-key.ts'
import { requireAccess } from './auth/access.ts'
import type { Action } from './auth/identity.ts'
import { authFailureGate, throttleFailedAuth, type AuthFailureGate } from './auth/failure-throttle.ts'
import { sdkCors } from './auth/sdk-cors.ts'
import { errorBody, errorResponse } from './error-response.ts'
import { RouteNotFoundError } from './errors.ts'
import { createOfrep } from './ofrep/index.ts'
import { openApiDocument } from './openapi.ts'
import { auditRoutes } from './routes/audit.ts'
import { consoleRoutes } from './routes/console.ts'
import { environmentRoutes, evaluationRoutes } from './routes/environments.ts'
import { flagRoutes, flagStateRoutes } from './routes/flags.ts'
import { keyRoutes } from './routes/keys.ts'
import { memberRoutes } from './routes/members.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { ssoRoutes } from './routes/sso.ts'
import type { Sso } from './auth/sso.ts'
import { tokenRoutes } from './routes/tokens.ts'
import { streamTicketRoutes } from './routes/stream-tickets.ts'
import { importRoutes, MAX_IMPORT_BYTES } from './routes/import.ts'
import { segmentRoutes } from './routes/segments.ts'
import { limitWrites } from './routes/write-limit.ts'
import { guardRoutes } from './routes/guard.ts'
import { API_ANSWER_HEADERS, apiHotRoutes, isHotRoute, MAX_BODY_BYTES, mountHotRoutes, tooLargeError } from './hot-routes.ts'
import type { HotRoute } from './exchange/hot-route.ts'
import { changeRequestRoutes } from './routes/change-requests.ts'
import type { Services } from './compose.ts'

export interface AppDeps extends Services {
  /** Extra routes mounted by later layers (stream status, guard, console). */
  extend?: (app: Hono<AuthEnv>) => void
  log?: (message: string, error?: unknown) => void
  /** Runs around every request first (request logs and HTTP metrics). */
  observe?: MiddlewareHandler<AuthEnv>
  /** Single sign-on with OpenID Connect, when configured. */
  sso?: Sso | undefined
  /** `CANARY_SSO_ONLY`: password sign-in answers 403. */
  ssoOnly?: boolean
}

export { MAX_BODY_BYTES }

/**
 * The HTTP application: `/health`, the admin API under `/api/v1`, and one error handler that
 * turns every failure into `{ error: { code, message, details? } }`. No I/O at import time.
 *
 * @example
 * const app = createApp({ store, service })
 * await app.request('/health') // 200 {"status":"ok"}
 */
export const createApp = (deps: AppDeps) => createHttp(deps).app

/** What the app's parts share: its deps, log, refusal answer and hot routes. */
interface Parts {
  deps: AppDeps
  log: (message: string, error?: unknown) => void
  respond: (c: Context, error: unknown) => Response
  hotRoutes: HotRoute[]
  authFailures: AuthFailureGate
  ofrep: ReturnType<typeof createOfrep>
}

/**
 * The hono app, and what the server process answers in front of it (node-http/hot-lane.ts): the
 * hot routes, which the app serves through the same handlers, and the failed-authentication
 * gate both doors share.
 */
export function createHttp(deps: AppDeps): { app: Hono<AuthEnv>; hotRoutes: HotRoute[]; authFailures: AuthFailureGate } {
  const { store, keys, intake, now, clientLimits, rules } = deps
  const log = deps.log ?? ((m, e) => console.error(m, e))
  const app = new Hono<AuthEnv>()
  /** Every HTTP refusal goes through `errorResponse`, the function the WebSocket upgrade uses too. */
  const respond = (c: Context, error: unknown) => {
    const { status, body, headers } = errorResponse(error, log, `${c.req.method} ${c.req.path}`)
    return c.json(body, status as ContentfulStatusCode, headers)
  }
  // OpenFeature Remote Evaluation Protocol (server/ofrep): its own auth, CORS and error shapes.
  const ofrep = createOfrep({ keys, rules, clientLimits, now, log, limits: deps.ofrepStreams })
  // The routes called many times a second: one handler each, which the app mounts below and the
  // server process also answers in front of hono (node-http/hot-lane.ts).
  const hotRoutes = [...ofrep.evaluations, ...apiHotRoutes({ keys, credentials: deps.credentials, store, rules, clientLimits, intake, now, log })]
  // Wrong keys cost an address time, never a key or an account its access (auth/failure-throttle.ts).
  const authFailures = authFailureGate({
    throttle: clientLimits.authFailures,
    trustedProxies: clientLimits.settings.trustedProxies,
    onForwarded: (peer, forwardedFor) => clientLimits.proxyTrust.seen(peer, forwardedFor),
  })
  const parts: Parts = { deps, log, respond, hotRoutes, authFailures, ofrep }
  guardRequests(app, parts)
  mountRoutes(app, parts)
  app.notFound((c) => respond(c, new RouteNotFoundError(c.req.method, c.req.path)))
  app.onError((error, c: Context) => respond(c, error))
  return { app, hotRoutes, authFailures }
}

/** What runs before the routes: observation, the failed-auth throttle, answer headers, body limits, CORS, access and the write limit. */
function guardRequests(app: Hono<AuthEnv>, { deps, respond, hotRoutes, authFailures }: Parts): void {
  const { keys, now } = deps
  if (deps.observe) app.use(deps.observe)
  const failedAuth = throttleFailedAuth(authFailures, respond)
  for (const path of ['/api/*', '/ofrep/*', '/metrics']) app.use(path, failedAuth)

  // API answers are data for programs, never pages to sniff or copies to keep (keys, rules, audit).
  // Set before the handler, so the answer it builds (or the error handler's) carries them: set on
  // a finished answer, hono builds it again and the Node adapter turns it into a full fetch
  // `Response` with a stream body (about a tenth of a metrics POST). An answer the context did not
  // build (a `Response` returned as it is) still gets them afterwards.
  const noSniffNoStore = (c: Context) => {
    for (const [name, value] of Object.entries(API_ANSWER_HEADERS)) c.header(name, value)
  }
  app.use('/api/*', async (c, next) => {
    noSniffNoStore(c)
    await next()
    if (c.res.headers.get('x-content-type-options') !== 'nosniff') noSniffNoStore(c)
  })

  // Import files (whole exports of another product) may be larger than any other request.
  const limitBody = (maxSize: number) => boundedBody({ maxSize, onError: (c) => respond(c, tooLargeError(maxSize)) })
  const ordinaryBody = limitBody(MAX_BODY_BYTES)
  const importBody = limitBody(MAX_IMPORT_BYTES)
  // A hot route's body limit and access check are its own (mountHotRoutes): answered in its
  // group's shape, with its headers, through either door.
  const hot = (c: Context) => isHotRoute(hotRoutes, c.req.method, c.req.path)
  app.use('/api/v1/*', (c, next) =>
    c.req.path.startsWith('/api/v1/import/') ? importBody(c, next)
    : hot(c) ? next()
    : ordinaryBody(c, next),
  )

  const sdkCorsFor = (...methods: string[]) =>
    sdkCors({ allowHeaders: ['authorization', 'content-type'], allowMethods: methods, maxAge: 600 })
  // Admin routes: keys and people alike, through one `authorize` (auth/identity.ts). Reads are
  // `read`, other methods `write`, unless a group says otherwise; `environment` is the one the
  // request is about (undefined: shared things, or the server itself).
  const access = (options: { action?: (c: Context) => Action; environment?: (c: Context) => string | undefined } = {}) =>
    requireAccess(deps.credentials, options)
  const always = (action: Action) => () => action
  const envParam = (c: Context) => c.req.param('env')
  const sdkOfEnv = requireKey(keys, { kinds: ['admin', 'server'], environment: (c) => c.req.param('env') })
  const anySdk = requireKey(keys, { kinds: ['server', 'client'], environment: (_c, key) => key.environment ?? undefined })

  // `/x/*` also matches `/x` itself in hono, so each guard is registered once.
  // Shared definitions: anyone who may read reads them (each sees the states of their own
  // environments); changing them needs the right in every environment (a global admin key).
  app.use('/api/v1/flags/*', access())
  app.use('/api/v1/keys/*', access({ action: always('admin') }))
  app.use('/api/v1/members/*', access({ action: always('members') }))
  app.use('/api/v1/tokens/*', access({ action: always('read') }))
  // The routes check the environment they name (as the upgrade does).
  app.use('/api/v1/stream-tickets', access({ action: always('read') }))
  app.use('/api/v1/audit', access({ action: always('read') }))
  // Anyone who may read sees requests (of the environments they may read: the route filters);
  // approving, rejecting and applying are checked per request (auth/approvers.ts).
  app.use('/api/v1/change-requests/*', access({ action: always('read') }))
  // Protecting an environment, or lifting it, changes a setting: an admin of every environment.
  app.use('/api/v1/environments/:env/protection', access({ action: always('admin') }))
  app.on(['GET', 'POST'], '/api/v1/environments', access({ action: (c) => (c.req.method === 'GET' ? 'read' : 'admin') }))
  // Preflights of POST …/evaluate (the route itself is a hot route: it checks its key).
  app.use('/api/v1/environments/:env/evaluate', sdkCorsFor('POST'))
  app.use('/api/v1/environments/:env/snapshot', sdkOfEnv)
  const flagAccess = access({ environment: envParam })
  app.use('/api/v1/environments/:env/flags/*', (c, next) => (hot(c) ? next() : flagAccess(c, next)))
  app.use('/api/v1/environments/:env/segments/*', access({ environment: envParam }))
  // An import creates flags in every environment: an admin of every environment.
  app.use('/api/v1/import/*', access({ action: always('admin') }))
  // Browser SDKs run on other origins: let them report counts and probe the stream's key.
  const sdkGetPostCors = sdkCorsFor('GET', 'POST')
  app.use('/api/v1/metrics', sdkGetPostCors)
  app.use('/api/v1/stream', sdkGetPostCors)
  // Browsers cannot see why a WebSocket upgrade failed; a plain GET with the same key tells them.
  app.get('/api/v1/stream', anySdk, (c) =>
    c.json(errorBody('upgrade_required', 'this endpoint speaks WebSocket (sub-protocol canary-flags.v1)'), 426),
  )

  // After authentication (it counts per key), before any route writes.
  app.use('/api/v1/*', limitWrites({ perSecond: deps.writesPerKeyPerSecond, now }))
}

/** The routes: `/health`, the admin API, OFREP, the hot routes, the console, and what later layers add. */
function mountRoutes(app: Hono<AuthEnv>, { deps, log, hotRoutes, ofrep }: Parts): void {
  const { store, keys, service, guard, planner, requests, protectedWrites, now, clientLimits } = deps
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument()))
  const trustedProxies = clientLimits.settings.trustedProxies
  const ssoOnly = deps.ssoOnly ?? false
  app.route('/api/v1/session', sessionRoutes({ store, people: deps.people, credentials: deps.credentials, trustedProxies, ssoOnly }))
  app.route('/api/v1/sso', ssoRoutes({ sso: deps.sso, ssoOnly, store, people: deps.people, trustedProxies, log }))
  app.route('/api/v1/members', memberRoutes({ store, people: deps.people }))
  app.route('/api/v1/tokens', tokenRoutes({ store, people: deps.people }))
  app.route('/api/v1/flags', flagRoutes({ store, service, guard, protectedWrites }))
  app.route('/ofrep/v1', ofrep.routes)
  // A revoked key's event streams end at once, here and (through the key index) on every replica;
  // expired tokens' streams end on every re-check at the latest.
  keys.onRevoked((isRevoked) => ofrep.closeRevoked(isRevoked))
  app.route('/api/v1/keys', keyRoutes({ store, onRevoke: (keyId) => keys.markRevoked(keyId) }))
  app.route('/api/v1/stream-tickets', streamTicketRoutes({ store, tickets: deps.tickets }))
  app.route('/api/v1/audit', auditRoutes({ store }))
  app.route('/api/v1/environments', environmentRoutes({ store, service }))
  app.route('/api/v1/environments/:env', evaluationRoutes({ store }))
  app.route('/api/v1/change-requests', changeRequestRoutes({ requests }))
  app.route('/api/v1/environments/:env/flags', flagStateRoutes({ store, service, requests }))
  app.route('/api/v1/environments/:env/segments', segmentRoutes({ store, service, protectedWrites }))
  app.route('/api/v1/import', importRoutes({ store, service, protectedWrites }))
  app.route('/api/v1/environments/:env/flags', guardRoutes({ store, service, guard, planner, requests, now, log }))
  mountHotRoutes(app, hotRoutes)
  app.route('/', consoleRoutes({ log }))
  deps.extend?.(app)
}

export type App = ReturnType<typeof createApp>
