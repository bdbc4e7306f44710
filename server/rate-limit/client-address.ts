import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'

/** The peer's address (node server), or 'unknown' where there is no socket (`app.request`). */
export function remoteAddressOf(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address
  } catch {
    // Only in-process requests (tests through app.request) have no socket; they share one budget.
    return undefined
  }
}

/** `clientAddress` of a request that names its peer and headers (a hot route's, exchange/hot-route.ts). */
export const requestAddress = (request: { peer: string | undefined; header(name: string): string | undefined }, trustedProxies: number): string =>
  clientAddress({ remoteAddress: request.peer, forwardedFor: request.header('x-forwarded-for'), trustedProxies })

/**
 * The address a request comes from, for per-address limits. `X-Forwarded-For` is believed only
 * when the server is configured to sit behind `trustedProxies` proxies: each proxy appends the
 * address it received from, so the entry that many places from the right is the one the first
 * trusted proxy saw. Anything left of it was written by the client and can be forged.
 *
 * @example
 * clientAddress({ remoteAddress: '10.0.0.2', forwardedFor: '198.51.100.1, 203.0.113.9', trustedProxies: 1 })
 * // '203.0.113.9'
 */
export function clientAddress(input: {
  remoteAddress: string | undefined
  forwardedFor: string | undefined
  trustedProxies: number
}): string {
  const direct = input.remoteAddress ?? 'unknown'
  if (input.trustedProxies <= 0 || !input.forwardedFor) return direct
  const hops = input.forwardedFor
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  // Fewer entries than trusted proxies: the chain is not what was configured; use the nearest.
  return hops[Math.max(0, hops.length - input.trustedProxies)] ?? direct
}
