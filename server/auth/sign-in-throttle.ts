/**
 * Slows password guessing per account and per address without ever locking anyone out: each
 * failed sign-in past the free ones doubles the wait before the next attempt on that account
 * (or from that address) is even checked, up to `maxDelayMs`. A right password after wrong
 * ones still gets in, only later: an attacker can slow the on-call engineer's sign-in by at
 * most `maxDelayMs`, never stop it. Attempts do not queue behind each other on purpose: a line
 * per account would let an attacker park the real person behind a thousand guesses. Parallel
 * guesses are braked instead by the scrypt cost and by the per-address budget of failed
 * authentication every API route has (rate-limit/auth-failures.ts: past it, wrong answers from
 * the address are 429). Failures are forgotten `forgetAfterMs` after the last one; a
 * successful sign-in forgets its account's failures (not its address's).
 *
 * Time and waiting are injected (`now`, `sleep`), so tests control them.
 *
 * @example
 * const throttle = createSignInThrottle({ now: Date.now, sleep })
 * const ok = await throttle.attempt({ account: email, address }, () => checkPassword())
 */
export interface SignInThrottleOptions {
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** Failures of an account before any delay (a mistyped password costs nothing). Default 3. */
  freeFailures?: number
  /** Failures from an address before any delay (an office behind one NAT mistypes more). Default 10. */
  freeFailuresPerAddress?: number
  /** The first delay. Default 500 ms. */
  baseDelayMs?: number
  /** The longest delay. Default 10 s. */
  maxDelayMs?: number
  /** Failures older than this are forgotten. Default 15 minutes. */
  forgetAfterMs?: number
}

interface Failures {
  failures: number
  lastFailureAt: number
}

export function createSignInThrottle(options: SignInThrottleOptions) {
  const free = options.freeFailures ?? 3
  const freePerAddress = options.freeFailuresPerAddress ?? 10
  const base = options.baseDelayMs ?? 500
  const max = options.maxDelayMs ?? 10_000
  const forgetAfter = options.forgetAfterMs ?? 15 * 60_000
  const records = new Map<string, Failures>()

  function record(name: string): Failures {
    const now = options.now()
    let entry = records.get(name)
    if (entry && now - entry.lastFailureAt > forgetAfter && entry.failures > 0) entry.failures = 0
    if (!entry) {
      // Bound the memory an attacker can make us keep: drop forgotten names first.
      if (records.size > 10_000) for (const [key, r] of records) if (now - r.lastFailureAt > forgetAfter) records.delete(key)
      entry = { failures: 0, lastFailureAt: now }
      records.set(name, entry)
    }
    return entry
  }

  /** The wait before an attempt on a name with `failures` recent failures, `allowed` of them free. */
  const delayFor = (failures: number, allowed = free) =>
    failures < allowed ? 0 : Math.min(max, base * 2 ** (failures - allowed))

  return {
    /**
     * Runs `check` (true when the credentials were right) after the account's and the
     * address's delay (the longer of the two); records the outcome. Answers what `check` answered.
     */
    async attempt(names: { account: string; address: string }, check: () => Promise<boolean>): Promise<boolean> {
      const account = `account:${names.account}`
      const address = `address:${names.address}`
      const wait = Math.max(delayFor(record(account).failures), delayFor(record(address).failures, freePerAddress))
      if (wait > 0) await options.sleep(wait)
      const ok = await check()
      const now = options.now()
      if (ok) record(account).failures = 0
      else
        for (const name of [account, address]) {
          const entry = record(name)
          entry.failures += 1
          entry.lastFailureAt = now
        }
      return ok
    },
    /** The delay the next attempt on an account would wait (tests and the README's figures). */
    delayOf: (account: string) => delayFor(record(`account:${account}`).failures),
  }
}

export type SignInThrottle = ReturnType<typeof createSignInThrottle>
