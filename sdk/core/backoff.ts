/**
 * Reconnect delays: exponential with full jitter and a cap, reset only after a connection stayed
 * up for a while, plus a restart schedule for a server that announced its restart. Pure: it
 * starts no timers and reads no clock or randomness of its own, so tests drive it with fixed
 * numbers.
 *
 * Ordinary failures (a refused attempt, a dropped connection): full jitter (a uniform delay in
 * `[0, ceiling)`) spreads thousands of SDKs that lost the same server over the whole window
 * instead of having them return in synchronized waves. Resetting only after `resetAfterMs` of
 * uptime keeps a server that accepts and then drops connections from being hammered at the base
 * delay.
 *
 * A restart (close code 1012, `restart(now)`): the server is coming back within seconds, and an
 * exponential schedule would leave SDKs waiting up to twice the outage after it is back. Instead
 * each SDK draws one phase in `[0, restartSpreadMs)` and tries at that phase, then once every
 * `restartSpreadMs`, for `restartPatienceMs`. Whenever the new process starts answering, each
 * SDK's next attempt is uniform over the following `restartSpreadMs`: every SDK is back within
 * one spread, half of them within half of it, and the new process sees the fleet arrive at an
 * even rate of about `fleet / restartSpreadMs` connections per second, never as one burst. The
 * server widens the window for a large fleet (its close reason names one, see `CLOSE.restart`):
 * 10,000 SDKs of one server are asked to spread over 10 s by default (1,000/s). A renewal schedule (a fresh random delay after
 * each failure) would not do this: every SDK was closed at the same instant, so their attempts
 * stay bunched in waves for several rounds. After `restartPatienceMs` without success the
 * ordinary schedule resumes from a ceiling of at least one spread; a connection that opens ends
 * the restart schedule. The server may ask for a wider window in its close reason (it does when
 * it closes more SDKs than its successor should take in one default window); the SDK never
 * makes the window narrower than its own default.
 *
 * A healthy connection that drops with no close code (`dropped(now)`: the server was killed or
 * crashed, and its supervisor restarts it within seconds) takes the restart schedule too, with
 * the SDK's own spread: every SDK is back within a spread of the new process answering. The new
 * process sees the fleet at about `fleet / restartSpreadMs` attempts per second, because a dead
 * server cannot name a wider window.
 */
export interface BackoffOptions {
  /** Ceiling of the first retry. Default 500 ms. */
  baseMs?: number
  /** Largest ceiling. Default 30 s. */
  capMs?: number
  /** Uptime after which the next failure starts again from `baseMs`. Default 10 s. */
  resetAfterMs?: number
  /** After a restart close: the period of attempts, and the window they are spread over. Default 1 s. */
  restartSpreadMs?: number
  /** After a restart close: how long to keep trying once per spread before backing off. Default 30 s. */
  restartPatienceMs?: number
  /** `[0, 1)`, like `Math.random`. Inject `() => 1` for "no jitter" (always the ceiling). */
  random: () => number
}

export interface Backoff {
  /** The connection is up (at `now`, epoch ms). */
  success(now: number): void
  /** The connection failed or dropped at `now`: milliseconds to wait before the next attempt. */
  fail(now: number): number
  /**
   * The server said at `now` that it is restarting (close code 1012): milliseconds to wait
   * before the first attempt. Later failures follow the restart schedule until
   * `restartPatienceMs` has passed or a connection opens. `spreadMs`: the window the server
   * asked for in its close reason, when it named one (it is never made shorter than
   * `restartSpreadMs`).
   */
  restart(now: number, spreadMs?: number): number
  /**
   * An open connection dropped at `now` without a restart close (a server killed or crashed, a
   * network blip): after a healthy uptime (`resetAfterMs`) the server is most likely coming
   * straight back, so the restart schedule with this SDK's own spread; a connection that dropped
   * sooner (a flapping server) backs off as usual, like `fail`.
   */
  dropped(now: number): number
}

export const RESTART_SPREAD_MS = 1000

/**
 * @example
 * const backoff = createBackoff({ random: Math.random })
 * setTimeout(reconnect, closeCode === 1012 ? backoff.restart(Date.now()) : backoff.fail(Date.now()))
 */
export function createBackoff(options: BackoffOptions): Backoff {
  const base = options.baseMs ?? 500
  const cap = options.capMs ?? 30_000
  const resetAfter = options.resetAfterMs ?? 10_000
  const spread = options.restartSpreadMs ?? RESTART_SPREAD_MS
  const patience = options.restartPatienceMs ?? 30_000
  const unit = () => Math.min(1, Math.max(0, options.random()))
  let attempt = 0
  let upSince: number | undefined
  /** The restart schedule: attempts at `anchor + k × period` until `until`. */
  let restarting: { anchor: number; period: number; until: number } | undefined

  /** A failure after a healthy uptime starts the ordinary schedule again from the base. */
  const settleUptime = (now: number) => {
    if (upSince !== undefined && now - upSince >= resetAfter) attempt = 0
    upSince = undefined
  }

  return {
    success(now) {
      upSince = now
      restarting = undefined
    },
    fail(now) {
      settleUptime(now)
      if (restarting !== undefined && now < restarting.until) {
        const { anchor, period } = restarting
        // The next slot strictly after now (an attempt that failed at once waits one period).
        const slots = Math.floor((now - anchor) / period) + 1
        return Math.max(0, anchor + Math.max(0, slots) * period - now)
      }
      if (restarting !== undefined) {
        // Patience is over: back off as usual, from a ceiling no shorter than the spread.
        restarting = undefined
        while (base * 2 ** attempt < spread && base * 2 ** attempt < cap) attempt++
      }
      // 2 ** attempt stops growing once the cap is reached, so it never overflows to Infinity.
      const ceiling = Math.min(cap, base * 2 ** attempt)
      if (ceiling < cap) attempt++
      return Math.floor(ceiling * unit())
    },
    dropped(now) {
      return upSince !== undefined && now - upSince >= resetAfter ? this.restart(now) : this.fail(now)
    },
    restart(now, spreadMs) {
      settleUptime(now)
      const period = Math.max(spread, spreadMs ?? 0)
      const phase = Math.floor(period * unit())
      restarting = { anchor: now + phase, period, until: now + Math.max(patience, 2 * period) }
      return phase
    },
  }
}
