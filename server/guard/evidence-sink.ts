import type { Evidence } from '../../sdk/core/metrics.ts'
import type { Hub } from '../live/hub.ts'
import type { Store, StoredFlagState } from '../store/contract.ts'
import type { DueTrip } from './tripper.ts'
import { takesFrom, type EvidenceSource, type Testing, type Watched, type WatchList } from './watch-list.ts'

/** What a sink works with, handed in by the guard when it is built. */
export interface SinkParts {
  watch: WatchList
  store: Store
  hub: Hub
  now: () => number
  log: (message: string, error?: unknown) => void
  /** Tells the guard's `onCounts` listeners that a flag's figures moved. */
  countsMoved(env: string, flag: string): void
}

/**
 * Where accepted counts go and where the guarded flags' tests are fed from: one process's memory
 * (`localEvidence`), or a table shared by the replicas on one PostgreSQL, fed by the guard leader
 * (`sharedEvidence`, shared-evidence.ts). Chosen once, in compose.ts.
 */
export interface EvidenceSink {
  /** Where a batch id is claimed once: in this process, or across every replica. */
  readonly oncePer: 'process' | 'cluster'
  /** A stored state reached the guard, before the watch list takes it: false drops it (a read overtaken by a newer one). */
  admit(state: StoredFlagState): boolean
  /** A flag is about to leave the watch list (it was deleted). */
  forgetting(env: string, flag: string): void
  /** Counts accepted for a flag whose tests run. */
  add(entry: Testing, source: EvidenceSource, counts: Evidence, at: number): void
  /** The tests of `entry` took the counts of the second that ended. */
  fed(entry: Watched): void
  /** The leader's step: `feed` gives one second's counts to the tests; returns the flags to turn off. */
  leaderTick(feed: () => DueTrip[]): Promise<DueTrip[]>
  /** Every other replica's step: take the leader's latest evidence. */
  followerTick(): Promise<void>
  /** Hands on counts still buffered here (tests, shutdown). */
  settle(): Promise<void>
  close(): Promise<void>
}

export type EvidenceSinkFactory = (parts: SinkParts) => EvidenceSink

/** One process (SQLite): the counts go straight to this process's tests; nothing is shared. */
export const localEvidence: EvidenceSinkFactory = () => ({
  oncePer: 'process',
  admit: () => true,
  forgetting() {},
  add(entry, source, counts, at) {
    if (!takesFrom(entry, source)) return
    entry.evidence.add(counts)
    entry.recent.add(counts, at)
  },
  fed() {},
  leaderTick: async (feed) => feed(),
  async followerTick() {},
  async settle() {},
  async close() {},
})
