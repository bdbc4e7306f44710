import type { Context, MiddlewareHandler } from 'hono'
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

const keyEnvironment = (c: Context<AuthEnv>) =>
  (c.get('apiKey') as { environment?: string | null } | undefined)?.environment ?? undefined

/**
 * Every HTTP request: one log line (method, path, status, duration, key name; successful SDK
 * calls and successful reads at `debug`, see `SDK_ROUTES` and `READS`) and one observation of the duration histogram under its
 * route pattern (`/api/v1/flags/:key`, so
 * flag keys never become label values). A refused admin write (4xx) counts as a refused change.
 */
export function httpObserver(deps: { logger: Logger; metrics: Metrics }): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const seconds = (performance.now() - started) / 1000
    const status = c.res.status
    // The last matched route is the handler's pattern; a path only middleware matched (`/*`)
    // shares one label, so scanning for URLs cannot grow the series without bound.
    const last = routePath(c, -1)
    const route = last.endsWith('*') ? 'unmatched' : last
    deps.metrics.httpRequest(c.req.method, route, status, seconds)
    const refused = WRITES.has(c.req.method) && status >= 400 && status < 500
    // Accepted batches are counted where the guard takes them (both transports); one refused
    // before reaching it (bad key, bad body) is counted here.
    if (refused && c.req.path === BATCHES) deps.metrics.batchRefused(keyEnvironment(c) ?? 'unknown', `http_${status}`)
    else if (refused) deps.metrics.changeRefused(status)
    const level = status < 400 && (READS.has(c.req.method) || SDK_ROUTES.has(route)) ? 'debug' : 'info'
    if (!deps.logger.isLevelEnabled(level)) return
    // Unset when the request carried no valid key (public routes, refused keys).
    const actor = c.get('actor') as string | undefined
    deps.logger[level]({ method: c.req.method, path: c.req.path, route, status, ms: Math.round(seconds * 10_000) / 10, actor }, 'request')
  }
}
