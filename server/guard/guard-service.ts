import { addEvidence, copyEvidence, fromFlatCounts, type Evidence } from '../../sdk/core/metrics.ts'
import type { StateWriter } from './state-writer.ts'
import type { Hub } from '../live/hub.ts'
import { ConflictError } from '../errors.ts'
import type { ClusterStore, SharedCounts, SharedEvidence, Store, StoredFlagState } from '../store/contract.ts'
import { FlagEvidence, settingsKey, type EvidenceSnapshot, type GuardDecision, type PlanFigures } from './decide.ts'
import { guardOf, type StoredGuard, type TripRecord } from '../domain/guard-state.ts'
import { planOf } from '../domain/plan.ts'
import { createBatchIntake } from './batch-intake.ts'
import type { CountedBatch } from './metrics-batch.ts'
import type { ArmCounts } from './sequential.ts'
import { SlidingWindow, type WindowBuckets } from './window.ts'
import { deliverWebhook } from './webhook.ts'

export type GuardStatus = GuardDecision['status'] | 'tripped' | 'off' | 'no_guard'

/** Who sent a batch: server keys are trusted secrets; client keys are public (see evidence-intake.ts). */
export type EvidenceSource = 'server' | 'client'

/** The guard's view of one flag: the API's `GET …/guard`, the console feed, the planner. */
export interface GuardView {
  status: GuardStatus
  decision: GuardDecision | null
  guard: StoredGuard | null
  /** The last `windowSeconds` of counts, for people (the decision uses the counts since the start). */
  recent: (ArmCounts & { seconds: number }) | null
  /** The active plan step's evidence that the rate is below the limit. */
  plan: PlanFigures | null
}

/** One guarded flag in one environment, as the guard holds it in memory. */
interface Watched {
  env: string
  flag: string
  guard: StoredGuard
  /** Present while the flag is on: the tests run from when it was turned on or the guard changed. */
  evidence: FlagEvidence | null
  recent: SlidingWindow
}

/** A trip found the flag already off: it was switched off meanwhile, so there is nothing to trip. */
class AlreadyOffError extends ConflictError {}

/** What the guard leader stores per guarded flag, for a successor and for the other replicas' views. */
interface SharedEvidenceJson {
  evidence: EvidenceSnapshot
  recent: WindowBuckets
}

const DEFAULT_WINDOW_SECONDS = 60

/**
 * The guard: takes validated, attributed counts (once per batch id), feeds each guarded flag's
 * sequential tests once a second (`tick`), and turns a flag off — one audited, streamed change by
 * actor `guard` — when a test shows its canary is worse than its limit.
 *
 * It holds only flags that have a guard, kept current from the change hub, so counts for other
 * flags cost a map miss and allocate nothing.
 */
export function createGuardService(deps: {
  store: Store
  service: StateWriter
  hub: Hub
  now: () => number
  log: (message: string, error?: unknown) => void
  webhook?: { timeoutMs?: number; attempts?: number; baseDelayMs?: number }
  /**
   * Replicas: counts go to the shared table for the guard leader instead of this process's
   * tests, batch ids are claimed cluster-wide, and the evidence is shared (see `leaderTick`
   * and `followerTick`). Absent (one SQLite process): everything stays in memory.
   */
  cluster?: { store: ClusterStore; flushMs?: number } | undefined
}) {
  const { store, service, now, log } = deps
  const cluster = deps.cluster?.store
  const intake = createBatchIntake(store.metrics, { log, oncePer: cluster ? 'cluster' : 'process' })
  const watched = new Map<string, Watched>()
  const keyOf = (env: string, flag: string) => `${env}\u0000${flag}`
  const pendingWebhooks = new Set<Promise<unknown>>()
  const countListeners = new Set<(env: string, flag: string) => void>()

  /** Replicas: flags whose shared evidence the leader must write (or delete) at its next tick. */
  const dirty = new Map<string, { envKey: string; flagKey: string }>()
  /** Replicas: the newest state version each flag's entry was refreshed from. */
  const refreshedAt = new Map<string, number>()

  /** Brings one flag's entry in line with its stored state. */
  function refresh(state: StoredFlagState): void {
    const key = keyOf(state.environment, state.key)
    if (cluster) {
      if ((refreshedAt.get(key) ?? -1) > state.version) return // an older read overtaken by a newer one
      refreshedAt.set(key, state.version)
      // Only guarded flags (or ones that just lost their guard) have shared evidence to write.
      if (guardOf(state) || watched.has(key)) dirty.set(key, { envKey: state.environment, flagKey: state.key })
    }
    const guard = guardOf(state)
    if (!guard) {
      watched.delete(key)
      return
    }
    let entry = watched.get(key)
    if (!entry) watched.set(key, (entry = { env: state.environment, flag: state.key, guard, evidence: null, recent: new SlidingWindow() }))
    entry.guard = guard
    if (!state.enabled) {
      // Evidence gathered before is about code that was switched off: a flag turned back on starts afresh.
      entry.evidence = null
      entry.recent.clear()
    } else if (!entry.evidence || entry.evidence.settingsKey !== settingsKey(guard)) {
      entry.evidence = new FlagEvidence(guard, now())
    }
    const plan = planOf(state.plan)
    if (entry.evidence && plan?.status === 'active') entry.evidence.startPlanStep(`${plan.startedAt}/${plan.step}`, plan.step, now())
    else entry.evidence?.stopPlan()
  }

  function forget(env: string, flag: string) {
    if (cluster && watched.has(keyOf(env, flag))) dirty.set(keyOf(env, flag), { envKey: env, flagKey: flag })
    watched.delete(keyOf(env, flag))
  }

  /** Replicas: one read at a time per flag, so a state is never refreshed from an older read. */
  const reading = new Map<string, Promise<void>>()
  function reread(env: string, flag: string): void {
    const key = keyOf(env, flag)
    const previous = reading.get(key) ?? Promise.resolve()
    const next = previous
      .then(() => store.flags.getState(env, flag))
      .then(refresh, (error: unknown) => log(`guard: re-reading ${flag} in ${env} after a change failed`, error))
      .finally(() => {
        if (reading.get(key) === next) reading.delete(key)
      })
    reading.set(key, next)
  }

  // Every state change committed here arrives whole and in commit order (guard, plan, on/off),
  // before it is streamed; archiving arrives as a change. Replicas also hear the others' changes
  // (as changes, which carry no guard or plan): the state is read again.
  service.onState(refresh)
  // Replicas: a resync means changes of `env` were never heard one by one; read its guarded
  // flags again (those watched here, and any that gained a guard meanwhile).
  if (cluster)
    deps.hub.onResync((env) => {
      for (const entry of watched.values()) if (entry.env === env) reread(entry.env, entry.flag)
      store.flags.listGuarded().then(
        (states) => states.filter((s) => s.environment === env).forEach(refresh),
        (error: unknown) => log(`guard: re-reading the guarded flags of ${env} after a resync failed`, error),
      )
    })
  deps.hub.subscribeAll((env, change) => {
    if (change.type === 'flag_deleted') forget(env, change.key)
    else if (cluster && change.type === 'flag' && (refreshedAt.get(keyOf(env, change.flag.key)) ?? -1) < change.version)
      reread(env, change.flag.key)
  })

  /** Replicas: attributed counts accepted here, summed per flag and source until the next flush. */
  let sharedPending = new Map<string, SharedCounts>()
  async function flushShared(): Promise<void> {
    if (!cluster || sharedPending.size === 0) return
    const rows = [...sharedPending.values()]
    sharedPending = new Map()
    try {
      await cluster.appendCounts(rows)
    } catch (error) {
      // Kept for the next flush: the leader reads them a second later than it would have.
      for (const row of rows) addShared(row.envKey, row.flagKey, row.source, row.counts, row.at)
      log('guard: sharing counts with the leader failed; will retry', error)
    }
  }
  function addShared(envKey: string, flagKey: string, source: EvidenceSource, counts: Evidence, at: number): void {
    const id = `${envKey}\u0000${flagKey}\u0000${source}`
    const row = sharedPending.get(id)
    if (!row) return void sharedPending.set(id, { envKey, flagKey, source, at, counts: copyEvidence(counts) })
    addEvidence(row.counts, counts)
    row.at = Math.max(row.at, at)
  }
  let sharing: Promise<void> | undefined
  const shareTimer = cluster
    ? setInterval(() => {
        sharing ??= flushShared().finally(() => (sharing = undefined))
      }, deps.cluster?.flushMs ?? 200)
    : undefined
  shareTimer?.unref()

  function notify(url: string | undefined, event: Record<string, unknown>): void {
    if (!url) return
    const delivery = deliverWebhook(url, event, { ...deps.webhook, log }).finally(() => pendingWebhooks.delete(delivery))
    pendingWebhooks.add(delivery)
  }

  async function trip(entry: Watched, decision: Extract<GuardDecision, { status: 'trip' }>) {
    const record: TripRecord = { at: now(), rule: decision.rule, test: decision.test, limit: decision.limit, figures: decision.figures }
    // The evidence that trips it must not trip it again while the change commits.
    entry.evidence = null
    const after = await service.applyState(entry.env, entry.flag, {
      actor: 'guard',
      action: 'guard.trip',
      details: record,
      update: (current) => {
        // Switched off meanwhile (by a person, or by a previous leader's trip): nothing to do.
        if (!current.enabled) throw new AlreadyOffError(`${entry.flag} in ${entry.env} is already off`)
        const plan = planOf(current.plan)
        return {
          enabled: false,
          guard: { ...(guardOf(current) ?? entry.guard), lastTrip: record },
          ...(plan?.status === 'active' || plan?.status === 'paused' || plan?.status === 'held'
            ? { plan: { ...plan, status: 'stopped', nextAt: null, note: `guard tripped (${decision.rule})` } }
            : {}),
        }
      },
    }).catch((error: unknown) => {
      if (error instanceof AlreadyOffError) return undefined
      throw error
    })
    if (!after) return
    log(`guard: turned ${entry.flag} off in ${entry.env} (${decision.rule}, ${decision.test} test)`)
    notify(entry.guard.webhookUrl, { type: 'guard.trip', flag: entry.flag, environment: entry.env, version: after.version, ...record })
  }

  type TripDecision = Extract<GuardDecision, { status: 'trip' }>

  /** The once-a-second step of every guarded flag's tests; returns the flags to turn off. */
  function feedTests(): Array<{ entry: Watched; decision: TripDecision }> {
    const due: Array<{ entry: Watched; decision: TripDecision }> = []
    for (const entry of watched.values()) {
      const evidence = entry.evidence
      if (!evidence?.tick()) continue
      if (cluster) dirty.set(keyOf(entry.env, entry.flag), { envKey: entry.env, flagKey: entry.flag })
      for (const listener of countListeners) listener(entry.env, entry.flag)
      if (!evidence.wouldTrip()) continue
      const decision = evidence.decision()
      if (decision.status === 'trip') due.push({ entry, decision })
    }
    return due
  }

  async function tripAll(due: Array<{ entry: Watched; decision: TripDecision }>): Promise<void> {
    await Promise.all(
      due.map(({ entry, decision }) =>
        trip(entry, decision).catch((error: unknown) => log(`guard: turning ${entry.flag} off in ${entry.env} failed`, error)),
      ),
    )
  }

  /** Replicas: the leader's tick failed, so this replica's tests must be read back from the table. */
  let reloadEvidence = false

  /**
   * Replicas: takes the leader's stored evidence into this replica's entries (those whose flag
   * is on and whose guard settings match), so views show the current figures and a new leader
   * resumes the tests. `replaceAll` also resets entries without stored evidence (after a failed
   * leader tick, whose counts were rolled back into the table).
   */
  async function resumeShared(options: { replaceAll: boolean }): Promise<void> {
    if (!cluster) return
    const stored = new Map((await cluster.loadEvidence()).map((row) => [keyOf(row.envKey, row.flagKey), row.evidence as SharedEvidenceJson]))
    reloadEvidence = false
    for (const [key, entry] of watched) {
      if (!entry.evidence) continue
      const shared = stored.get(key)
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
      entry.evidence = new FlagEvidence(entry.guard, now(), shared.evidence)
      entry.recent = SlidingWindow.from(shared.recent)
      if (!same) for (const listener of countListeners) listener(entry.env, entry.flag)
    }
  }

  function view(state: StoredFlagState): GuardView {
    const guard = guardOf(state)
    // Before the lookup: a flags list asks this of every state, and most have no guard.
    if (!guard) return { status: 'no_guard', decision: null, guard, recent: null, plan: null }
    const entry = watched.get(keyOf(state.environment, state.key))
    const seconds = guard.windowSeconds ?? DEFAULT_WINDOW_SECONDS
    const recent = entry ? { seconds, ...entry.recent.totals(now(), seconds) } : null
    const decision = entry?.evidence?.decision() ?? null
    const plan = entry?.evidence?.planFigures() ?? null
    if (!state.enabled) return { status: guard.lastTrip ? 'tripped' : 'off', decision, guard, recent, plan }
    return { status: decision?.status ?? 'insufficient_data', decision, guard, recent, plan }
  }

  return {
    /**
     * Records a batch of validated, attributed counts (once per id) for the guarded flags they
     * name. `source` decides whether a guard set to `evidence: "server"` listens. Returns false
     * for a duplicate id.
     */
    /** Loads the guarded flags (at start; afterwards they are kept current from the flag service). */
    async load(): Promise<void> {
      for (const state of await store.flags.listGuarded()) refresh(state)
    },

    async ingest(env: string, batch: CountedBatch, source: EvidenceSource): Promise<boolean> {
      const at = now()
      if (!(await intake.accept(env, batch, at))) return false
      for (const [flag, counts] of Object.entries(batch.flags)) {
        const entry = watched.get(keyOf(env, flag))
        if (cluster) {
          // The leader feeds the tests (from every replica's counts); its figures come back shared.
          if (entry?.evidence) addShared(env, flag, source, counts, at)
          else for (const listener of countListeners) listener(env, flag)
          continue
        }
        if (entry?.evidence && (source === 'server' || entry.guard.evidence !== 'server')) {
          entry.evidence.add(counts)
          entry.recent.add(counts, at)
        }
        // A guarded flag's listeners hear it after the tick has fed the counts to its tests.
        if (!entry?.evidence) for (const listener of countListeners) listener(env, flag)
      }
      return true
    },

    /**
     * Called when a flag's figures moved (the console's live feed): for a guarded flag after the
     * tick fed its new counts to the tests, for any other flag when its counts arrive.
     */
    onCounts(listener: (env: string, flag: string) => void): () => void {
      countListeners.add(listener)
      return () => countListeners.delete(listener)
    },

    /**
     * The once-a-second step: each guarded flag's counts of the second that ended reach its
     * tests, and a flag whose test crossed its threshold is turned off.
     */
    async tick(): Promise<void> {
      await tripAll(feedTests())
    },

    /**
     * Replicas, on the guard leader only (it holds the advisory lock): takes every replica's
     * shared counts out of the table into the tests and stores the evidence they changed, in
     * one transaction (so a successor resumes exactly there and every replica shows it), then
     * trips what the tests say must be turned off.
     */
    async leaderTick(): Promise<void> {
      if (!cluster) return tripAll(feedTests())
      if (reloadEvidence) await resumeShared({ replaceAll: true })
      let due: Array<{ entry: Watched; decision: TripDecision }> = []
      try {
        await cluster.consumeAndSave((rows) => {
          for (const row of rows) {
            const entry = watched.get(keyOf(row.envKey, row.flagKey))
            if (!entry?.evidence || (row.source === 'client' && entry.guard.evidence === 'server')) continue
            entry.evidence.add(row.counts)
            entry.recent.add(row.counts, row.at)
          }
          due = feedTests()
          const save: SharedEvidence[] = []
          const remove: Array<{ envKey: string; flagKey: string }> = []
          const at = now()
          for (const [key, target] of dirty) {
            const entry = watched.get(key)
            if (entry?.evidence)
              save.push({ ...target, evidence: { evidence: entry.evidence.snapshot(), recent: entry.recent.buckets(at) } satisfies SharedEvidenceJson })
            else remove.push(target)
          }
          dirty.clear()
          return { save, remove }
        })
      } catch (error) {
        // Rolled back: the counts are still in the table. The tests here took them already, so
        // they are read again from the stored evidence before the next tick.
        reloadEvidence = true
        for (const entry of watched.values()) dirty.set(keyOf(entry.env, entry.flag), { envKey: entry.env, flagKey: entry.flag })
        throw error
      }
      await tripAll(due)
    },

    /**
     * Replicas, on every other replica (and on a new leader before its first `leaderTick`):
     * takes the leader's latest evidence, so `GET …/guard`, plans' progress and the console
     * feed show the current figures here too.
     */
    async followerTick(): Promise<void> {
      if (cluster) await resumeShared({ replaceAll: false })
    },

    /** The guard's view of one flag state, for the API, the console and rollout plans. */
    status: view,

    /** Calls a guard's webhook off the caller's path (trips, and plans that hold). */
    notify,

    /** Writes counts still buffered for the per-minute aggregates (charts read them). */
    flushCounts: intake.flush,

    /** Waits for webhook deliveries in flight and stores buffered counts (tests, shutdown). */
    async settle(): Promise<void> {
      await Promise.allSettled([...pendingWebhooks])
      await intake.flush()
      await sharing
      await flushShared()
    },

    async close(): Promise<void> {
      clearInterval(shareTimer)
      await Promise.allSettled([...reading.values()])
      await sharing
      await flushShared()
      await intake.close()
    },
  }
}

export type GuardService = ReturnType<typeof createGuardService>
