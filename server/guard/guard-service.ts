import type { FlagCounts, MetricsBatch } from '../../sdk/core/protocol.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { Hub } from '../stream/hub.ts'
import type { StoredFlagState } from '../store/flag-store.ts'
import type { Store } from '../store/store.ts'
import { FlagEvidence, settingsKey, type GuardDecision, type PlanFigures } from './decide.ts'
import { guardOf, type StoredGuard, type TripRecord } from './guard-state.ts'
import { planOf } from './plan.ts'
import { createBatchIntake } from './batch-intake.ts'
import type { ArmCounts } from './sequential.ts'
import { SlidingWindow } from './window.ts'
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

const DEFAULT_WINDOW_SECONDS = 60
const toArm = ([ce, cx, ke, kx]: FlagCounts): ArmCounts => ({
  canaryExposures: ce,
  canaryErrors: cx,
  controlExposures: ke,
  controlErrors: kx,
})

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
  service: FlagService
  hub: Hub
  now: () => number
  log: (message: string, error?: unknown) => void
  webhook?: { timeoutMs?: number; attempts?: number; baseDelayMs?: number }
}) {
  const { store, service, now, log } = deps
  const intake = createBatchIntake(store.metrics, { log })
  const watched = new Map<string, Watched>()
  const keyOf = (env: string, flag: string) => `${env}\u0000${flag}`
  const pendingWebhooks = new Set<Promise<unknown>>()
  const countListeners = new Set<(env: string, flag: string) => void>()

  /** Brings one flag's entry in line with its stored state. */
  function refresh(state: StoredFlagState): void {
    const key = keyOf(state.environment, state.key)
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
    watched.delete(keyOf(env, flag))
  }

  // Every state change arrives whole and in commit order (guard, plan, on/off), before it is
  // streamed; archiving arrives as a change.
  service.onState(refresh)
  deps.hub.subscribeAll((env, change) => {
    if (change.type === 'flag_deleted') forget(env, change.key)
  })

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
        const plan = planOf(current.plan)
        return {
          enabled: false,
          guard: { ...(guardOf(current) ?? entry.guard), lastTrip: record },
          ...(plan?.status === 'active' || plan?.status === 'paused' || plan?.status === 'held'
            ? { plan: { ...plan, status: 'stopped', nextAt: null, note: `guard tripped (${decision.rule})` } }
            : {}),
        }
      },
    })
    log(`guard: turned ${entry.flag} off in ${entry.env} (${decision.rule}, ${decision.test} test)`)
    notify(entry.guard.webhookUrl, { type: 'guard.trip', flag: entry.flag, environment: entry.env, version: after.version, ...record })
  }

  function view(state: StoredFlagState): GuardView {
    const guard = guardOf(state)
    const entry = watched.get(keyOf(state.environment, state.key))
    if (!guard) return { status: 'no_guard', decision: null, guard, recent: null, plan: null }
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

    async ingest(env: string, batch: MetricsBatch, source: EvidenceSource): Promise<boolean> {
      const at = now()
      if (!(await intake.accept(env, batch, at))) return false
      for (const [flag, counts] of Object.entries(batch.flags)) {
        const entry = watched.get(keyOf(env, flag))
        if (entry?.evidence && (source === 'server' || entry.guard.evidence !== 'server')) {
          entry.evidence.add(toArm(counts))
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
      const trips: Array<Promise<void>> = []
      for (const entry of watched.values()) {
        const evidence = entry.evidence
        if (!evidence?.tick()) continue
        for (const listener of countListeners) listener(entry.env, entry.flag)
        if (!evidence.wouldTrip()) continue
        const decision = evidence.decision()
        if (decision.status !== 'trip') continue
        trips.push(trip(entry, decision).catch((error: unknown) => log(`guard: turning ${entry.flag} off in ${entry.env} failed`, error)))
      }
      await Promise.all(trips)
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
    },

    async close(): Promise<void> {
      await intake.close()
    },
  }
}

export type GuardService = ReturnType<typeof createGuardService>
