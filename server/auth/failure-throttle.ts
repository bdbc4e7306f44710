import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AuthFailureThrottle } from '../rate-limit/auth-failures.ts'
import { clientAddress, remoteAddressOf } from '../rate-limit/client-address.ts'

/**
 * Throttles failed authentication on every HTTP route that takes a key (admin API, SDK routes,
 * OFREP, `/metrics`), in one place: an address that has spent its failures gets 429 before any
 * key is checked, and every 401 answered to it counts as one failure. The WebSocket upgrade
 * does the same in stream/upgrade.ts.
 */
export function throttleFailedAuth(deps: {
  throttle: AuthFailureThrottle
  trustedProxies: number
  onRefused: (c: Context, error: unknown) => Response
  /** Sees every request's peer and forwarded-for (the untrusted-proxy warning). */
  onForwarded?: (peer: string | undefined, forwardedFor: string | undefined) => void
}) {
  return createMiddleware(async (c, next) => {
    const peer = remoteAddressOf(c)
    const forwardedFor = c.req.header('x-forwarded-for')
    deps.onForwarded?.(peer, forwardedFor)
    const address = clientAddress({ remoteAddress: peer, forwardedFor, trustedProxies: deps.trustedProxies })
    try {
      deps.throttle.admit(address)
    } catch (error) {
      return deps.onRefused(c, error)
    }
    await next()
    if (c.res.status === 401) deps.throttle.failed(address)
  })
}
