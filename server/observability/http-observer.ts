import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { Logger } from 'pino'
import type { AuthEnv } from '../auth/api-key.ts'
import type { Metrics } from './metrics.ts'

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** SDK count batches are counted by the guard's intake, not as admin changes. */
const NOT_CHANGES = ['/api/v1/metrics']

/**
 * Every HTTP request: one log line (method, path, status, duration, key name) and one
 * observation of the duration histogram under its route pattern (`/api/v1/flags/:key`, so
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
    if (WRITES.has(c.req.method) && status >= 400 && status < 500 && !NOT_CHANGES.includes(c.req.path))
      deps.metrics.changeRefused(status)
    // Unset when the request carried no valid key (public routes, refused keys).
    const actor = c.get('actor') as string | undefined
    deps.logger.info(
      { method: c.req.method, path: c.req.path, route, status, ms: Math.round(seconds * 10_000) / 10, actor },
      'request',
    )
  }
}
