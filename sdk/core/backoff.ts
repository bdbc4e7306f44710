/**
 * Reconnect delays: exponential with full jitter and a cap, reset only after a connection stayed
 * up for a while. Pure: it starts no timers and reads no clock or randomness of its own, so tests
 * drive it with fixed numbers.
 *
 * Full jitter (a uniform delay in `[0, ceiling)`) spreads thousands of SDKs that lost the same
 * server over the whole window instead of having them return in synchronized waves. Resetting
 * only after `resetAfterMs` of uptime keeps a server that accepts and then drops connections
 * from being hammered at the base delay.
 */
export interface BackoffOptions {
  /** Ceiling of the first retry. Default 500 ms. */
  baseMs?: number
  /** Largest ceiling. Default 30 s. */
  capMs?: number
  /** Uptime after which the next failure starts again from `baseMs`. Default 10 s. */
  resetAfterMs?: number
  /** `[0, 1)`, like `Math.random`. Inject `() => 1` for "no jitter" (always the ceiling). */
  random: () => number
}

export interface Backoff {
  /** The connection is up (at `now`, epoch ms). */
  success(now: number): void
  /** The connection failed or dropped at `now`: milliseconds to wait before the next attempt. */
  fail(now: number): number
}

/**
 * @example
 * const backoff = createBackoff({ random: Math.random })
 * setTimeout(reconnect, backoff.fail(Date.now()))
 */
export function createBackoff(options: BackoffOptions): Backoff {
  const base = options.baseMs ?? 500
  const cap = options.capMs ?? 30_000
  const resetAfter = options.resetAfterMs ?? 10_000
  let attempt = 0
  let upSince: number | undefined

  return {
    success(now) {
      upSince = now
    },
    fail(now) {
      if (upSince !== undefined && now - upSince >= resetAfter) attempt = 0
      upSince = undefined
      // 2 ** attempt stops growing once the cap is reached, so it never overflows to Infinity.
      const ceiling = Math.min(cap, base * 2 ** attempt)
      if (ceiling < cap) attempt++
      return Math.floor(ceiling * Math.min(1, Math.max(0, options.random())))
    },
  }
}
