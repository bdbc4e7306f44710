import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AuthFailureThrottle } from '../rate-limit/auth-failures.ts'
import { clientAddress, remoteAddressOf } from '../rate-limit/client-address.ts'

/**
 * Throttles failed authentication on every HTTP route that takes a key (admin API, SDK routes,
 * OFREP, `/metrics`), in one place: every 401 counts as one failure of its address, and a wrong
 * key from an address that has spent its failures is answered 429 (`Retry-After`) instead. A
 * valid key is never throttled, whatever others from the same address (a shared NAT, an office
 * proxy) did: the on-call engineer's kill switch must not wait on an attacker's guesses. Keys
 * are far too long to guess, so the throttle is a signal and a brake on noise, not the defence.
 * The WebSocket upgrade does the same in stream/upgrade.ts.
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
    await next()
    if (c.res.status !== 401) return
    const address = clientAddress({ remoteAddress: peer, forwardedFor, trustedProxies: deps.trustedProxies })
    try {
      deps.throttle.admit(address)
    } catch (error) {
      c.res = undefined
      c.res = deps.onRefused(c, error)
    } finally {
      deps.throttle.failed(address)
    }
  })
}
