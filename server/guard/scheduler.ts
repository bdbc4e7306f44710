import type { EvidenceSink } from './evidence-sink.ts'
import type { DueTrip, Tripper } from './tripper.ts'
import type { WatchList } from './watch-list.ts'

/**
 * The guard's once-a-second step: each guarded flag's counts of the second that ended reach its
 * tests, and a flag whose test crossed its threshold is turned off. Where the counts come from
 * is the evidence sink's business; when to step (leader or follower) is ticker.ts's.
 */
export function createGuardScheduler(deps: {
  watch: WatchList
  sink: EvidenceSink
  tripper: Tripper
  countsMoved: (env: string, flag: string) => void
  now: () => number
}) {
  const { watch, sink, tripper, countsMoved, now } = deps

  /** One second of every guarded flag's tests; returns the flags to turn off. */
  function feedTests(): DueTrip[] {
    const due: DueTrip[] = []
    const at = now()
    for (const entry of watch.entries()) {
      const evidence = entry.evidence
      if (!evidence?.tick(at)) continue
      entry.fine.record(evidence.counts(), at)
      sink.fed(entry)
      countsMoved(entry.env, entry.flag)
      if (!evidence.wouldTrip()) continue
      const decision = evidence.decision()
      if (decision.status === 'trip') due.push({ entry, decision })
    }
    return due
  }

  return {
    /** Feeds the tests from this process's counts and trips what they say (tests drive it by hand). */
    async tick(): Promise<void> {
      await tripper.tripAll(feedTests())
    },
    /** The leader's step (a single process always leads): the sink brings the counts, then trips. */
    async leaderTick(): Promise<void> {
      await tripper.tripAll(await sink.leaderTick(feedTests))
    },
    /** Every other replica's step (and a new leader's before its first `leaderTick`). */
    async followerTick(): Promise<void> {
      await sink.followerTick()
    },
  }
}
