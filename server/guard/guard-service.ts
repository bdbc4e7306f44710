import type { StateWriter } from './state-writer.ts'
import type { Hub } from '../live/hub.ts'
import type { Store } from '../store/contract.ts'
import { createBatchIntake } from './batch-intake.ts'
import type { EvidenceSinkFactory } from './evidence-sink.ts'
import type { CountedBatch } from './metrics-batch.ts'
import { createGuardReadModel } from './read-model.ts'
import { createGuardScheduler } from './scheduler.ts'
import { createTripper } from './tripper.ts'
import type { WebhookOptions } from './webhook.ts'
import { createWatchList, isTesting, type EvidenceSource } from './watch-list.ts'

export type { GuardStatus, GuardView } from './read-model.ts'
export type { EvidenceSource } from './watch-list.ts'

/**
 * The guard: takes validated, attributed counts (once per batch id), feeds each guarded flag's
 * sequential tests once a second, and turns a flag off — one audited, streamed change by actor
 * `guard` — when a test shows its canary is worse than its limit.
 *
 * Built from parts with one reason to change each: the watch list (which flags are guarded, with
 * what settings), the evidence sink (local, or shared by replicas; chosen by the caller), the
 * tripper (turning off, the audit, the webhook), the scheduler (the per-second step) and the
 * read model (the views and the figures of guarded flags).
 */
export function createGuardService(deps: {
  store: Store
  service: StateWriter
  hub: Hub
  now: () => number
  log: (message: string, error?: unknown) => void
  webhook?: WebhookOptions | undefined
  /** Where counts go and the tests are fed from: `localEvidence` or `sharedEvidence(…)` (evidence-sink.ts). */
  evidence: EvidenceSinkFactory
}) {
  const { store, service, hub, now, log } = deps
  const watch = createWatchList(now)
  const reads = createGuardReadModel({ watch, now })
  // The sink saves evidence only after the batch ids it holds are stored (the intake is built after it).
  const sink = deps.evidence({ watch, store, hub, now, log, countsMoved: reads.countsMoved, flushBatches: () => intake.flush() })
  const intake = createBatchIntake(store.metrics, { log, oncePer: sink.oncePer })
  const tripper = createTripper({
    service,
    now,
    log,
    webhook: deps.webhook,
    signingSecrets: (env, flag) => store.webhookSecrets.signing(env, flag, now()),
  })
  const scheduler = createGuardScheduler({ watch, sink, tripper, countsMoved: reads.countsMoved, now })

  function refresh(state: Parameters<typeof watch.refresh>[0]): void {
    if (sink.admit(state)) watch.refresh(state)
  }

  // Every state change committed here arrives whole and in commit order (guard, plan, on/off),
  // before it is streamed; archiving arrives as a change.
  service.onState(refresh)
  hub.subscribeAll((env, change) => {
    if (change.type !== 'flag_deleted') return
    sink.forgetting(env, change.key)
    watch.forget(env, change.key)
  })

  return {
    /**
     * Loads the guarded flags and resumes their tests from the saved evidence (at start;
     * afterwards they are kept current from the flag service).
     */
    async load(): Promise<void> {
      const states = await store.flags.listGuarded()
      for (const state of states) refresh(state)
      await sink.resume()
      // Again: a resumed test carries the plan step it was saved with; the state says which runs now.
      for (const state of states) refresh(state)
    },

    /**
     * Records a batch of validated, attributed counts (once per id) for the guarded flags they
     * name. `source` decides whether a guard set to `evidence: "server"` listens. Returns false
     * for a duplicate id.
     */
    async ingest(env: string, batch: CountedBatch, source: EvidenceSource): Promise<boolean> {
      const at = now()
      if (!(await intake.accept(env, batch, at))) return false
      const guarded = watch.inEnvironment(env)
      for (const flag in batch.flags) {
        const entry = guarded.get(flag)
        if (isTesting(entry)) sink.add(entry, source, batch.flags[flag]!, at)
        // A guarded flag's listeners hear it after the tick has fed the counts to its tests.
        else reads.countsMoved(env, flag)
      }
      return true
    },

    /**
     * The latency bound of a flag's guard (`latency.slowerThanMs`), which decides which reported
     * durations count as slow; undefined when the flag has no latency rule.
     */
    slowerThanMs(env: string, flag: string): number | undefined {
      return watch.get(env, flag)?.guard.latency?.slowerThanMs
    },

    onCounts: reads.onCounts,
    tick: scheduler.tick,
    leaderTick: scheduler.leaderTick,
    followerTick: scheduler.followerTick,
    status: reads.status,
    view: reads.view,
    /** The figures of a guarded flag's running tests, from memory (null for any other flag). */
    figures: reads.figures,
    /** A guarded flag's ten-second rows from `fromMs` on, oldest first (empty for any other flag). */
    fineRows: (env: string, flag: string, fromMs: number) => watch.get(env, flag)?.fine.rows(fromMs) ?? [],
    notify: tripper.notify,

    /** Writes counts still buffered for the per-minute aggregates (charts read them). */
    flushCounts: intake.flush,

    /** Waits for webhook deliveries in flight and stores buffered counts (tests, shutdown). */
    async settle(): Promise<void> {
      await tripper.settle()
      await intake.flush()
      await sink.settle()
    },

    async close(): Promise<void> {
      await sink.close()
      await intake.close()
    },
  }
}

export type GuardService = ReturnType<typeof createGuardService>
