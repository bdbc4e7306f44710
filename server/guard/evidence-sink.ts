import type { Evidence } from '../../sdk/core/metrics.ts'
import type { Hub } from '../live/hub.ts'
import type { Store, StoredFlagState } from '../store/contract.ts'
import { createEvidenceChanges, loadRecords, resumeFrom } from './evidence-record.ts'
import type { DueTrip } from './tripper.ts'
import { takesFrom, watchKey, type EvidenceSource, type Testing, type Watched, type WatchList } from './watch-list.ts'

/** What a sink works with, handed in by the guard when it is built. */
export interface SinkParts {
  watch: WatchList
  store: Store
  hub: Hub
  now: () => number
  log: (message: string, error?: unknown) => void
  /** Tells the guard's `onCounts` listeners that a flag's figures moved. */
  countsMoved(env: string, flag: string): void
  /**
   * Stores the ids of the batches accepted so far. Called before evidence is saved, so a saved
   * count's batch id is always stored too: a resend after a restart is refused, never counted twice.
   */
  flushBatches(): Promise<void>
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
  /** At start, after the guarded flags were loaded: resume their tests from the saved evidence. */
  resume(): Promise<void>
  /** Hands on counts still buffered here (tests, shutdown). */
  settle(): Promise<void>
  close(): Promise<void>
}

export type EvidenceSinkFactory = (parts: SinkParts) => EvidenceSink

/**
 * One process (SQLite by default): the counts go straight to this process's tests, and the
 * evidence of every flag whose tests took a second is saved once a second (after the tick fed
 * them) and at shutdown, through the store's `evidence` (the same record replicas share). A
 * `kill -9` loses at most the counts since the last save; a restart resumes the tests there.
 */
export const localEvidence: EvidenceSinkFactory = ({ watch, store, now, log, flushBatches }) => {
  const changes = createEvidenceChanges(watch)
  /** One save at a time: the ticker's and the shutdown's never interleave. */
  let saving: Promise<void> = Promise.resolve()

  function save(): Promise<void> {
    saving = saving.then(async () => {
      await flushBatches()
      const collected = changes.collect(now())
      try {
        await store.evidence.saveEvidence(collected.save, collected.remove)
      } catch (error) {
        // Kept for the next save: the tests go on in memory; only a crash before then loses them.
        changes.restore(collected)
        log('guard: saving evidence failed; will retry', error)
      }
    })
    return saving
  }

  return {
    oncePer: 'process',
    admit(state) {
      // A guarded flag's tests may have started afresh (or stopped): its record changes.
      if (state.guard || watch.has(state.environment, state.key)) changes.mark(state.environment, state.key)
      return true
    },
    forgetting(env, flag) {
      changes.mark(env, flag)
    },
    add(entry, source, counts, at) {
      if (!takesFrom(entry, source)) return
      entry.evidence.add(counts)
      entry.recent.add(counts, at)
      // Saved with the pending counts, so a graceful shutdown between ticks keeps them.
      changes.mark(entry.env, entry.flag)
    },
    fed(entry) {
      changes.mark(entry.env, entry.flag)
    },
    async leaderTick(feed) {
      const due = feed()
      await save()
      return due
    },
    async followerTick() {},
    async resume() {
      const records = await loadRecords(store.evidence)
      for (const entry of watch.entries()) resumeFrom(entry, records.get(watchKey(entry.env, entry.flag)), now())
    },
    settle: save,
    close: save,
  }
}
