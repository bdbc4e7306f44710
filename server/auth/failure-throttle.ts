import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AuthFailureThrottle } from '../rate-limit/auth-failures.ts'
import { clientAddress, remoteAddressOf } from '../rate-limit/client-address.ts'

/**
 * The throttle of failed authentication, for both doors of the HTTP server (the hono app, and
 * the hot lane in front of it): every 401 counts as one failure of its address, and a wrong key
 * from an address that has spent its failures is answered 429 (`Retry-After`) instead. A valid
 * key is never throttled, whatever others from the same address (a shared NAT, an office proxy)
 * did: the on-call engineer's kill switch must not wait on an attacker's guesses. Keys are far
 * too long to guess, so the throttle is a signal and a brake on noise, not the defence. The
 * WebSocket upgrade does the same in stream/upgrade.ts.
 *
 * @example
 * const gate = authFailureGate({ throttle, trustedProxies: 0 })
 * gate.seen(peer, forwardedFor)                        // every request
 * const refusal = gate.failed(peer, forwardedFor)      // after a 401: a 429 to answer instead, or undefined
 */
export function authFailureGate(deps: {
  throttle: AuthFailureThrottle
  trustedProxies: number
  /** Sees every request's peer and forwarded-for (the untrusted-proxy warning). */
  onForwarded?: (peer: string | undefined, forwardedFor: string | undefined) => void
}) {
  return {
    seen(peer: string | undefined, forwardedFor: string | undefined): void {
      deps.onForwarded?.(peer, forwardedFor)
    },
    /** Counts a 401; the refusal (429) to answer instead when its address has spent its failures. */
    failed(peer: string | undefined, forwardedFor: string | undefined): unknown {
      const address = clientAddress({ remoteAddress: peer, forwardedFor, trustedProxies: deps.trustedProxies })
      try {
        deps.throttle.admit(address)
        return undefined
      } catch (error) {
        return error
      } finally {
        deps.throttle.failed(address)
      }
    },
  }
}

export type AuthFailureGate = ReturnType<typeof authFailureGate>

/** The gate as hono middleware, on every route that takes a key (admin API, SDK routes, OFREP, `/metrics`). */
export function throttleFailedAuth(gate: AuthFailureGate, onRefused: (c: Context, error: unknown) => Response) {
  return createMiddleware(async (c, next) => {
    const peer = remoteAddressOf(c)
    const forwardedFor = c.req.header('x-forwarded-for')
    gate.seen(peer, forwardedFor)
    await next()
    if (c.res.status !== 401) return
    const refusal = gate.failed(peer, forwardedFor)
    if (refusal === undefined) return
    c.res = undefined
    c.res = onRefused(c, refusal)
  })
}
