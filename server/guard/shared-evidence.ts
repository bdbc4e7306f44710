import { addEvidence, copyEvidence, type Evidence } from '../../sdk/core/metrics.ts'
import type { Hub } from '../live/hub.ts'
import type { ClusterStore, SharedCounts, Store, StoredFlagState } from '../store/contract.ts'
import { FlagEvidence } from './decide.ts'
import { createEvidenceChanges, loadRecords, resumeFrom } from './evidence-record.ts'
import type { EvidenceSinkFactory } from './evidence-sink.ts'
import type { DueTrip } from './tripper.ts'
import { takesFrom, watchKey, type EvidenceSource, type WatchList } from './watch-list.ts'

/**
 * Replicas on one PostgreSQL: counts accepted here go to the shared table (flushed every
 * `flushMs`) for the guard leader instead of this process's tests; batch ids are claimed
 * cluster-wide; the leader feeds the tests from every replica's counts and stores the evidence
 * it changed, which every other replica reads back (`followerTick`) for its views and to resume
 * the tests if it takes over. Replicas also hear the others' changes (as changes, which carry no
 * guard or plan): the state of such a flag is read again.
 */
export function sharedEvidence(options: { store: ClusterStore; flushMs?: number }): EvidenceSinkFactory {
  return ({ watch, store, hub, now, log, countsMoved }) => {
    const cluster = options.store
    /** Flags whose shared evidence the leader must write (or delete) at its next tick. */
    const changes = createEvidenceChanges(watch)
    const markDirty = changes.mark
    /** The newest state version each flag's entry was refreshed from. */
    const refreshedAt = new Map<string, number>()

    function admit(state: StoredFlagState): boolean {
      const key = watchKey(state.environment, state.key)
      if ((refreshedAt.get(key) ?? -1) > state.version) return false // an older read overtaken by a newer one
      refreshedAt.set(key, state.version)
      // Only guarded flags (or ones that just lost their guard) have shared evidence to write.
      if (state.guard || watch.has(state.environment, state.key)) markDirty(state.environment, state.key)
      return true
    }
    function refresh(state: StoredFlagState): void {
      if (admit(state)) watch.refresh(state)
    }

    const following = followOtherReplicas({ watch, store, hub, log, refresh, readVersion: (key) => refreshedAt.get(key) ?? -1 })

    const outbox = createCountOutbox(cluster, options.flushMs ?? 200, log)

    /** The leader's tick failed, so this replica's tests must be read back from the table. */
    let reloadEvidence = false

    /**
     * Takes the leader's stored evidence into this replica's entries (those whose flag is on and
     * whose guard settings match), so views show the current figures and a new leader resumes
     * the tests. `replaceAll` also resets entries without stored evidence (after a failed leader
     * tick, whose counts were rolled back into the table).
     */
    async function resumeShared(options: { replaceAll: boolean }): Promise<void> {
      const stored = await loadRecords(store.evidence)
      reloadEvidence = false
      for (const entry of watch.entries()) {
        if (!entry.evidence) continue
        const shared = stored.get(watchKey(entry.env, entry.flag))
        if (!shared || shared.evidence.settingsKey !== entry.evidence.settingsKey) {
          if (options.replaceAll) {
            entry.evidence = new FlagEvidence(entry.guard, now())
            entry.recent.clear()
          }
          continue
        }
        const before = entry.evidence.snapshot()
        const same =
          before.seconds === shared.evidence.seconds &&
          before.since === shared.evidence.since &&
          JSON.stringify(before.plan) === JSON.stringify(shared.evidence.plan)
        if (same && !options.replaceAll) continue
        resumeFrom(entry, shared, now())
        if (!same) countsMoved(entry.env, entry.flag)
      }
    }

    return {
      oncePer: 'cluster',
      admit,
      forgetting(env, flag) {
        if (watch.has(env, flag)) markDirty(env, flag)
      },
      // The leader feeds the tests (from every replica's counts); its figures come back shared.
      add(entry, source, counts, at) {
        outbox.add(entry.env, entry.flag, source, counts, at)
      },
      fed(entry) {
        markDirty(entry.env, entry.flag)
      },

      /**
       * On the guard leader only (it holds the advisory lock): takes every replica's shared counts
       * out of the table into the tests and stores the evidence they changed, in one transaction
       * (so a successor resumes exactly there and every replica shows it).
       */
      async leaderTick(feed) {
        if (reloadEvidence) await resumeShared({ replaceAll: true })
        let due: DueTrip[] = []
        try {
          await cluster.consumeAndSave((rows) => {
            for (const row of rows) {
              const entry = watch.get(row.envKey, row.flagKey)
              if (!entry?.evidence || !takesFrom(entry, row.source)) continue
              entry.evidence.add(row.counts)
              entry.recent.add(row.counts, row.at)
            }
            due = feed()
            return changes.collect(now())
          })
        } catch (error) {
          // Rolled back: the counts are still in the table. The tests here took them already, so
          // they are read again from the stored evidence before the next tick.
          reloadEvidence = true
          changes.markAll()
          throw error
        }
        return due
      },

      /** On every other replica (and on a new leader before its first `leaderTick`). */
      async followerTick() {
        await resumeShared({ replaceAll: false })
      },

      /** At start: the figures the leader saved, before the first tick. */
      async resume() {
        await resumeShared({ replaceAll: false })
      },

      settle: outbox.settle,

      async close() {
        await following.close()
        await outbox.close()
      },
    }
  }
}

/**
 * Replicas hear the others' changes as changes, which carry no guard or plan: such a flag's state
 * is read again (one read at a time per flag, so a state is never refreshed from an older read),
 * and after a resync every guarded flag of the environment is.
 */
function followOtherReplicas(deps: {
  watch: WatchList
  store: Store
  hub: Hub
  log: (message: string, error?: unknown) => void
  /** Takes a state read back into the watch list (unless a newer one was taken meanwhile). */
  refresh: (state: StoredFlagState) => void
  /** The newest state version a flag's entry was refreshed from (-1: none). */
  readVersion: (key: string) => number
}) {
  const { watch, store, hub, log, refresh } = deps
  const reading = new Map<string, Promise<void>>()
  function reread(env: string, flag: string): void {
    const key = watchKey(env, flag)
    const previous = reading.get(key) ?? Promise.resolve()
    const next = previous
      .then(() => store.flags.getState(env, flag))
      .then(refresh, (error: unknown) => log(`guard: re-reading ${flag} in ${env} after a change failed`, error))
      .finally(() => {
        if (reading.get(key) === next) reading.delete(key)
      })
    reading.set(key, next)
  }

  // A resync means changes of `env` were never heard one by one; read its guarded flags again
  // (those watched here, and any that gained a guard meanwhile).
  hub.onResync((env) => {
    for (const entry of watch.entries()) if (entry.env === env) reread(entry.env, entry.flag)
    store.flags.listGuarded().then(
      (states) => states.filter((s) => s.environment === env).forEach(refresh),
      (error: unknown) => log(`guard: re-reading the guarded flags of ${env} after a resync failed`, error),
    )
  })
  hub.subscribeAll((env, change) => {
    if (change.type === 'flag' && deps.readVersion(watchKey(env, change.flag.key)) < change.version) reread(env, change.flag.key)
  })

  return {
    /** Waits for the reads in flight. */
    async close(): Promise<void> {
      await Promise.allSettled([...reading.values()])
    },
  }
}

/** Counts accepted on this replica, summed per flag and source, appended to the shared table every `flushMs`. */
function createCountOutbox(cluster: ClusterStore, flushMs: number, log: (message: string, error?: unknown) => void) {
  let pending = new Map<string, SharedCounts>()
  function add(envKey: string, flagKey: string, source: EvidenceSource, counts: Evidence, at: number): void {
    const id = `${envKey}\u0000${flagKey}\u0000${source}`
    const row = pending.get(id)
    if (!row) return void pending.set(id, { envKey, flagKey, source, at, counts: copyEvidence(counts) })
    addEvidence(row.counts, counts)
    row.at = Math.max(row.at, at)
  }
  async function flush(): Promise<void> {
    if (pending.size === 0) return
    const rows = [...pending.values()]
    pending = new Map()
    try {
      await cluster.appendCounts(rows)
    } catch (error) {
      // Kept for the next flush: the leader reads them a second later than it would have.
      for (const row of rows) add(row.envKey, row.flagKey, row.source, row.counts, row.at)
      log('guard: sharing counts with the leader failed; will retry', error)
    }
  }
  let sharing: Promise<void> | undefined
  const timer = setInterval(() => {
    sharing ??= flush().finally(() => (sharing = undefined))
  }, flushMs)
  timer.unref()

  return {
    add,
    /** Appends what is pending now (after the flush in progress, if any). */
    async settle(): Promise<void> {
      await sharing
      await flush()
    },
    async close(): Promise<void> {
      clearInterval(timer)
      await sharing
      await flush()
    },
  }
}
