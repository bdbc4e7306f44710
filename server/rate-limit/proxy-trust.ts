/**
 * Behind a reverse proxy that the server does not trust (`CANARY_TRUSTED_PROXIES=0`), every
 * request carries the proxy's address, so all visitors share one address's limits (one visitor's
 * sockets make the next one's requests 429). Requests with `X-Forwarded-For` from a peer that is
 * not trusted are the sign: the first one after start is logged as a warning at once, and then
 * at most once a minute while they keep coming. The clock is injected; nothing starts a timer.
 */
export function createProxyTrustWatch(options: {
  trustedProxies: number
  now: () => number
  log: (message: string) => void
  everyMs?: number
}) {
  const everyMs = options.everyMs ?? 60_000
  let lastWarned: number | undefined
  return {
    /** One request: its peer's address and its `X-Forwarded-For`, if any. */
    seen(peer: string | undefined, forwardedFor: string | undefined): void {
      if (options.trustedProxies > 0 || !forwardedFor) return
      const at = options.now()
      if (lastWarned !== undefined && at - lastWarned < everyMs) return
      lastWarned = at
      options.log(
        `WARNING: requests with X-Forwarded-For arrive from ${peer ?? 'an unknown peer'}, a proxy that is not trusted ` +
          '(CANARY_TRUSTED_PROXIES=0): every visitor behind it shares one address for the rate limits. ' +
          'If the server is reachable only through that proxy, set CANARY_TRUSTED_PROXIES to the number of proxies (README "Reverse proxy and TLS")',
      )
    },
  }
}
