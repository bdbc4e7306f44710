import { emptyArm, METRICS, type ArmCounters } from '../../sdk/core/metrics.ts'

/**
 * How much evidence one browser (a client-key connection, or one address on the HTTP fallback)
 * may add per flag: at most one exposure and one error per second of server time, so one
 * browser weighs one user, in the same unit (requests) as server evidence.
 *
 * Allowance accrues at 1 per second since the last report for that flag, up to
 * BURST_SECONDS (so a browser reporting every 5 s is counted in full, and a connection silent
 * for an hour cannot spend an hour at once). When a report claims more exposures than the
 * allowance, the exposures are capped and the errors scaled down in proportion: the reported
 * error rate is kept, its weight cut to the allowance. Down-weighting keeps the sequential tests
 * valid (a likelihood ratio raised to a power ≤ 1 is still a supermartingale factor).
 */
export const BURST_SECONDS = 10

export class ClientCredit {
  /** Per flag: the server time (ms) up to which allowance has been spent. */
  private readonly spentUntil = new Map<string, number>()
  /**
   * Per flag: credited exposures not yet matched by each event metric (credited exposures minus
   * credited errors, …): how many events may still arrive after their exposure's batch.
   */
  private readonly unmatched = new Map<string, ArmCounters>()

  /** Allowance accrues from `openedAt` (a new connection cannot bring a burst with it). */
  constructor(private readonly openedAt: number) {}

  /**
   * The credited counters of a report of `counters` for `flag` at `now`: exposures capped at the
   * allowance, every other metric (events among those exposures) scaled down in proportion.
   */
  take(flag: string, counters: ArmCounters, now: number): ArmCounters {
    const unmatched = this.unmatched.get(flag) ?? emptyArm()
    this.unmatched.set(flag, unmatched)
    const { exposures } = counters
    if (exposures <= 0) return this.late(counters, unmatched)
    const floor = now - BURST_SECONDS * 1000
    const spent = Math.max(this.spentUntil.get(flag) ?? this.openedAt, floor)
    const allowance = Math.min(exposures, (now - spent) / 1000)
    if (allowance <= 0) return emptyArm()
    this.spentUntil.set(flag, spent + allowance * 1000)
    const credited = emptyArm()
    for (const metric of METRICS) {
      // Events beyond the exposures are late ones for earlier exposures: matched first, the rest
      // scaled with the exposures like events on time.
      const late = Math.min(Math.max(0, counters[metric] - exposures), unmatched[metric])
      const onTime = Math.min(counters[metric] - late, exposures)
      credited[metric] = late + (onTime * allowance) / exposures
      unmatched[metric] += allowance - credited[metric]
    }
    credited.exposures = allowance
    unmatched.exposures = 0
    return credited
  }

  /** Events with no exposure in their report: credited only against earlier unmatched exposures. */
  private late(counters: ArmCounters, unmatched: ArmCounters): ArmCounters {
    const credited = emptyArm()
    for (const metric of METRICS) {
      if (metric === 'exposures') continue
      credited[metric] = Math.min(counters[metric], unmatched[metric])
      unmatched[metric] -= credited[metric]
    }
    return credited
  }
}

/**
 * ClientCredit per remote address for the HTTP fallback, where there is no connection to hang
 * it on. Bounded: the least recently used address is forgotten past `max` entries (which can
 * only give that address its burst again, never more than one user's worth at a time).
 */
export class CreditByAddress {
  private readonly credits = new Map<string, ClientCredit>()

  constructor(private readonly max = 10_000) {}

  of(address: string, now: number): ClientCredit {
    let credit = this.credits.get(address)
    if (credit) this.credits.delete(address)
    else credit = new ClientCredit(now)
    this.credits.set(address, credit)
    if (this.credits.size > this.max) this.credits.delete(this.credits.keys().next().value!)
    return credit
  }
}
