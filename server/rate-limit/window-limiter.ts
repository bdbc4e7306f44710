/**
 * A sliding-window rate limit per key: at most `limit` events in any `windowMs`. It keeps the
 * times of the last `limit` accepted events per key (a ring), so it is exact and its memory is
 * bounded by `limit` per live key. The clock is injected; nothing here starts a timer.
 *
 * @example
 * const identities = createWindowLimiter({ limit: 30, windowMs: 60_000, now: Date.now })
 * const verdict = identities.take(connectionId)
 * if (!verdict.allowed) close(4429, `retry in ${verdict.retryAfterMs} ms`)
 */
export interface WindowLimiter {
  /** Counts one event for `key` when allowed; when refused, nothing is counted. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterMs: number }
  /** Forgets a key (its connection closed). */
  forget(key: string): void
  /** Drops keys with no event inside the window (call now and then to bound memory). */
  prune(): void
  readonly size: number
}

export function createWindowLimiter(options: { limit: number; windowMs: number; now: () => number }): WindowLimiter {
  const { limit, windowMs, now } = options
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit: must be a positive integer, got ${limit}`)
  /** Per key: accepted event times, oldest first, at most `limit` of them. */
  const events = new Map<string, number[]>()

  return {
    take(key) {
      const at = now()
      let times = events.get(key)
      if (times === undefined) events.set(key, (times = []))
      while (times.length > 0 && times[0]! <= at - windowMs) times.shift()
      if (times.length >= limit) return { allowed: false, retryAfterMs: Math.max(1, times[0]! + windowMs - at) }
      times.push(at)
      return { allowed: true }
    },
    forget(key) {
      events.delete(key)
    },
    prune() {
      const at = now()
      for (const [key, times] of events) if (times.length === 0 || times.at(-1)! <= at - windowMs) events.delete(key)
    },
    get size() {
      return events.size
    },
  }
}
