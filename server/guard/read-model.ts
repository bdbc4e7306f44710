import type { StoredFlagState } from '../store/contract.ts'
import type { GuardDecision, GuardFigures, PlanFigures } from './decide.ts'
import type { StoredGuard } from '../domain/guard-state.ts'
import type { FlatCounts as ArmCounts } from '../../sdk/core/metrics.ts'
import { tripHolds } from '../../api-shapes/guard.ts'
import type { WatchList } from './watch-list.ts'

export type GuardStatus = GuardDecision['status'] | 'tripped' | 'off' | 'no_guard'

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

const DEFAULT_WINDOW_SECONDS = 60

/** The view of a flag without a guard: the same for every such flag, nothing of its state in it. */
const noGuardView = (): GuardView => ({ status: 'no_guard', decision: null, guard: null, recent: null, plan: null })

/**
 * What the guard shows: the view of a flag state, the current figures of a guarded flag (from
 * memory, no store read: flags without a guard have none), and the signal that a flag's figures
 * moved (the console's live feed, the ten-second chart rows).
 */
export function createGuardReadModel(deps: { watch: WatchList; now: () => number }) {
  const { watch, now } = deps
  const countListeners = new Set<(env: string, flag: string) => void>()

  /** The guard's view of one flag state, for the API, the console and rollout plans. */
  function status(state: StoredFlagState): GuardView {
    const guard = state.guard
    // Before the lookup: a flags list asks this of every state, and most have no guard.
    if (!guard) return noGuardView()
    const entry = watch.get(state.environment, state.key)
    const seconds = guard.windowSeconds ?? DEFAULT_WINDOW_SECONDS
    const recent = entry ? { seconds, ...entry.recent.totals(now(), seconds) } : null
    const decision = entry?.evidence?.decision() ?? null
    const plan = entry?.evidence?.planFigures() ?? null
    if (!state.enabled) return { status: tripHolds(guard.lastTrip) ? 'tripped' : 'off', decision, guard, recent, plan }
    return { status: decision?.status ?? 'insufficient_data', decision, guard, recent, plan }
  }

  return {
    status,

    /**
     * The view of one flag, reading its state (`read`) only when the guard holds it: a flag
     * without a guard has the same view whatever its state, so asking costs a map miss. Held
     * means guarded as of the last state the guard heard of (`service.onState` in this process,
     * a read-back after another replica's change).
     */
    async view(env: string, flag: string, read: () => Promise<StoredFlagState>): Promise<GuardView> {
      return watch.has(env, flag) ? status(await read()) : noGuardView()
    },

    /** The figures of a guarded flag's running tests; null for a flag that is off or has no guard. */
    figures(env: string, flag: string): GuardFigures | null {
      return watch.get(env, flag)?.evidence?.figures() ?? null
    },

    /**
     * Calls `listener` when a flag's figures moved (the console's live feed): for a guarded flag
     * after the tick fed its new counts to the tests, for any other flag when its counts arrive.
     */
    onCounts(listener: (env: string, flag: string) => void): () => void {
      countListeners.add(listener)
      return () => countListeners.delete(listener)
    },

    /** Tells the `onCounts` listeners that the figures of `flag` in `env` moved. */
    countsMoved(env: string, flag: string): void {
      for (const listener of countListeners) listener(env, flag)
    },
  }
}

export type GuardReadModel = ReturnType<typeof createGuardReadModel>
