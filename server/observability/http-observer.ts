import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { Logger } from 'pino'
import type { AuthEnv } from '../auth/api-key.ts'
import type { Metrics } from './metrics.ts'

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/**
 * Reads change nothing: a successful one is logged at `debug`, like a successful SDK call (a
 * console or a script polling a flag's state would otherwise fill the log, and the line cost a
 * tenth of the read). Every write, refusal and error stays at `info`; the audit log keeps who
 * changed what.
 */
const READS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** SDK count batches over HTTP: refused ones are batches, not admin changes. */
const BATCHES = '/api/v1/metrics'

/**
 * The routes SDKs and probes call many times a second. An answer there that is not a refusal is
 * logged at `debug` (LOG_LEVEL=debug shows it; at the default level it costs one comparison);
 * every admin write and every refusal or error stays at `info`.
 */
const SDK_ROUTES = new Set([
  '/health',
  '/ofrep/v1/evaluate/flags',
  '/ofrep/v1/evaluate/flags/:key',
  '/api/v1/environments/:env/evaluate',
  '/api/v1/environments/:env/snapshot',
  '/api/v1/metrics',
])

/** One answered request, as the request log and the HTTP metrics see it (both doors of the server). */
export interface AnsweredRequest {
  method: string
  path: string
  /** The route pattern (`/api/v1/flags/:key`), or `unmatched`. */
  route: string
  status: number
  seconds: number
  /** Who acted, when the request carried a valid key or credential. */
  actor: string | undefined
  /** The environment of the request's key, when it had one. */
  keyEnvironment: string | undefined
}

/**
 * Every HTTP request: one log line (method, path, status, duration, key name; successful SDK
 * calls and successful reads at `debug`, see `SDK_ROUTES` and `READS`) and one observation of the
 * duration histogram under its route pattern (`/api/v1/flags/:key`, so flag keys never become
 * label values). A refused admin write (4xx) counts as a refused change. `record` takes a request
 * the hot lane answered (node-http/hot-lane.ts); `middleware` observes the hono app's.
 */
export function httpObservations(deps: { logger: Logger; metrics: Metrics }) {
  const record = (r: AnsweredRequest): void => {
    deps.metrics.httpRequest(r.method, r.route, r.status, r.seconds)
    const refused = WRITES.has(r.method) && r.status >= 400 && r.status < 500
    // Accepted batches are counted where the guard takes them (both transports); one refused
    // before reaching it (bad key, bad body) is counted here.
    if (refused && r.path === BATCHES) deps.metrics.batchRefused(r.keyEnvironment ?? 'unknown', `http_${r.status}`)
    else if (refused) deps.metrics.changeRefused(r.status)
    const level = r.status < 400 && (READS.has(r.method) || SDK_ROUTES.has(r.route)) ? 'debug' : 'info'
    if (!deps.logger.isLevelEnabled(level)) return
    deps.logger[level]({ method: r.method, path: r.path, route: r.route, status: r.status, ms: Math.round(r.seconds * 10_000) / 10, actor: r.actor }, 'request')
  }
  const middleware: MiddlewareHandler<AuthEnv> = async (c, next) => {
    const started = performance.now()
    await next()
    // The last matched route is the handler's pattern; a path only middleware matched (`/*`)
    // shares one label, so scanning for URLs cannot grow the series without bound.
    const last = routePath(c, -1)
    record({
      method: c.req.method,
      path: c.req.path,
      route: last.endsWith('*') ? 'unmatched' : last,
      status: c.res.status,
      seconds: (performance.now() - started) / 1000,
      // Unset when the request carried no valid key (public routes, refused keys).
      actor: c.get('actor') as string | undefined,
      keyEnvironment: (c.get('apiKey') as { environment?: string | null } | undefined)?.environment ?? undefined,
    })
  }
  return { record, middleware }
}

export type HttpObservations = ReturnType<typeof httpObservations>
