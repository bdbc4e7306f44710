import type { MetricsBatch } from '../../sdk/core/protocol.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { Hub } from '../stream/hub.ts'
import type { StoredFlagState } from '../store/flag-store.ts'
import type { Store } from '../store/store.ts'
import { decide, type GuardDecision, type GuardSettings } from './decide.ts'
import { guardOf, type StoredGuard, type TripRecord } from './guard-state.ts'
import { planOf } from './plan.ts'
import { createBatchIntake } from './batch-intake.ts'
import { SlidingWindow } from './window.ts'
import { deliverWebhook } from './webhook.ts'

export type GuardStatus = GuardDecision['status'] | 'tripped' | 'off' | 'no_guard'

/**
 * The guard: ingests SDK count batches (once per batch id), keeps a sliding window per flag and
 * environment, and turns a flag off — one audited, streamed change by actor `guard` — when the
 * canary's error rate is over its limit with confidence.
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
  const windows = new Map<string, SlidingWindow>()
  const windowKey = (env: string, flag: string) => `${env}\u0000${flag}`
  const pendingWebhooks = new Set<Promise<unknown>>()
  const countListeners = new Set<(env: string, flag: string) => void>()

  // When a flag is turned back on (after a trip or by hand), the evidence gathered before is
  // about the code that was switched off: start the window afresh.
  const lastEnabled = new Map<string, boolean>()
  deps.hub.subscribeAll((env, change) => {
    const key = change.type === 'flag' ? change.flag.key : change.type === 'flag_deleted' ? change.key : undefined
    if (key === undefined) return
    const enabled = change.type === 'flag' && change.flag.enabled
    if (enabled && lastEnabled.get(windowKey(env, key)) === false) windows.get(windowKey(env, key))?.clear()
    lastEnabled.set(windowKey(env, key), enabled)
  })

  function windowOf(env: string, flag: string): SlidingWindow {
    let w = windows.get(windowKey(env, flag))
    if (!w) windows.set(windowKey(env, flag), (w = new SlidingWindow()))
    return w
  }

  function judge(state: StoredFlagState, guard: GuardSettings): GuardDecision {
    const totals = windowOf(state.environment, state.key).totals(now(), guard.windowSeconds)
    return decide(guard, totals)
  }

  function trip(state: StoredFlagState, guard: StoredGuard, decision: Extract<GuardDecision, { status: 'trip' }>) {
    const record: TripRecord = { at: now(), rule: decision.rule, limit: decision.limit, figures: decision.figures }
    const plan = planOf(state.plan)
    const after = service.applyState(state.environment, state.key, {
      actor: 'guard',
      action: 'guard.trip',
      details: record,
      update: () => ({
        enabled: false,
        guard: { ...guard, lastTrip: record },
        ...(plan?.status === 'active' || plan?.status === 'paused'
          ? { plan: { ...plan, status: 'stopped', nextAt: null, note: `guard tripped (${decision.rule})` } }
          : {}),
      }),
    })
    // The evidence that tripped it must not trip it again when a person turns it back on.
    windowOf(state.environment, state.key).clear()
    log(`guard: turned ${state.key} off in ${state.environment} (${decision.rule}: ${JSON.stringify(decision.figures)})`)
    if (guard.webhookUrl) {
      const event = {
        type: 'guard.trip',
        flag: state.key,
        environment: state.environment,
        version: after.version,
        ...record,
      }
      const delivery = deliverWebhook(guard.webhookUrl, event, { ...deps.webhook, log }).finally(() =>
        pendingWebhooks.delete(delivery),
      )
      pendingWebhooks.add(delivery)
    }
  }

  /** Judges one flag now and trips it if the evidence says so. */
  function check(env: string, flag: string): void {
    let state: StoredFlagState
    try {
      state = store.flags.getState(env, flag)
    } catch {
      return // counts for a flag that was archived or never existed: nothing to guard
    }
    const guard = guardOf(state)
    if (!guard || !state.enabled) return
    const decision = judge(state, guard)
    if (decision.status === 'trip') trip(state, guard, decision)
  }

  return {
    /** Records a batch (once per id) and judges the flags it counts. Returns false for a duplicate. */
    ingest(env: string, batch: MetricsBatch): boolean {
      if (!intake.accept(env, batch, now())) return false
      const at = now()
      for (const [flag, counts] of Object.entries(batch.flags)) windowOf(env, flag).add(counts, at)
      for (const flag of Object.keys(batch.flags)) {
        check(env, flag)
        for (const listener of countListeners) listener(env, flag)
      }
      return true
    },

    /** Called after new counts for a flag were ingested (the console's live chart). */
    onCounts(listener: (env: string, flag: string) => void): () => void {
      countListeners.add(listener)
      return () => countListeners.delete(listener)
    },

    /** Re-judges every flag with a window (the timer: windows slide even without new batches). */
    checkAll(): void {
      for (const key of windows.keys()) {
        const [env, flag] = key.split('\u0000') as [string, string]
        check(env, flag)
      }
    },

    /** The guard's view of one flag state, for the API, the console and rollout plans. */
    status(state: StoredFlagState): { status: GuardStatus; decision: GuardDecision | null; guard: StoredGuard | null } {
      const guard = guardOf(state)
      if (!guard) return { status: 'no_guard', decision: null, guard }
      const decision = judge(state, guard)
      if (!state.enabled) return { status: guard.lastTrip ? 'tripped' : 'off', decision, guard }
      return { status: decision.status, decision, guard }
    },

    /** Writes counts still buffered for the per-minute aggregates (charts read them). */
    flushCounts: intake.flush,

    /** Waits for webhook deliveries in flight and stores buffered counts (tests, shutdown). */
    async settle(): Promise<void> {
      await Promise.allSettled([...pendingWebhooks])
      intake.flush()
    },

    close(): void {
      intake.close()
    },
  }
}

export type GuardService = ReturnType<typeof createGuardService>
