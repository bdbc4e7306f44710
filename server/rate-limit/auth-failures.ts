import { TooManyRequestsError } from '../errors.ts'

/**
 * Failed authentication per remote address: at most `perMinute` wrong or revoked keys in any
 * minute; past that, the address's wrong keys are answered 429 with `Retry-After` (the seconds
 * until the oldest failure leaves the window) instead of 401. It never locks: no key and no
 * account is ever disabled, a valid key is served from any address (auth/failure-throttle.ts),
 * and the address's budget comes back as the window moves. The clock is
 * injected; nothing here starts a timer.
 */
export interface AuthFailureThrottle {
  /** Throws TooManyRequestsError while `address` has spent its failures of the last minute. */
  admit(address: string): void
  /** Counts one failed authentication from `address`. */
  failed(address: string): void
  readonly size: number
}

const MINUTE = 60_000
/** Addresses remembered before old ones are swept (a sweep only drops windows already empty). */
const SWEEP_AT = 10_000

export function createAuthFailureThrottle(options: { perMinute: number; now: () => number }): AuthFailureThrottle {
  const { perMinute, now } = options
  /** Per address: failure times inside the window, oldest first, at most `perMinute`. */
  const failures = new Map<string, number[]>()
  const recent = (address: string, at: number) => {
    const times = failures.get(address)
    while (times && times.length > 0 && times[0]! <= at - MINUTE) times.shift()
    return times
  }
  return {
    admit(address) {
      const at = now()
      const times = recent(address, at)
      if (!times || times.length < perMinute) return
      throw new TooManyRequestsError(
        `too many failed authentications from ${address}: at most ${perMinute} a minute; wait, then send a valid key`,
        Math.max(1, Math.ceil((times[0]! + MINUTE - at) / 1000)),
      )
    },
    failed(address) {
      const at = now()
      if (failures.size >= SWEEP_AT) for (const key of [...failures.keys()]) if (recent(key, at)?.length === 0) failures.delete(key)
      const times = recent(address, at) ?? []
      times.push(at)
      if (times.length > perMinute) times.shift()
      failures.set(address, times)
    },
    get size() {
      return failures.size
    },
  }
}
