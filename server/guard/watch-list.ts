import type { StoredFlagState } from '../store/contract.ts'
import { FlagEvidence, settingsKey } from './decide.ts'
import type { StoredGuard } from '../domain/guard-state.ts'
import { FineSeries } from './fine-series.ts'
import { SlidingWindow } from './window.ts'

/** Who sent a batch: server keys are trusted secrets; client keys are public (see evidence-intake.ts). */
export type EvidenceSource = 'server' | 'client'

/** One guarded flag in one environment, as the guard holds it in memory. */
export interface Watched {
  env: string
  flag: string
  guard: StoredGuard
  /** Present while the flag is on: the tests run from when it was turned on or the guard changed. */
  evidence: FlagEvidence | null
  recent: SlidingWindow
  /** Ten-second rows for the chart of a new canary; kept when the tests start afresh. */
  fine: FineSeries
}

/** A watched flag whose tests run (its flag is on). */
export type Testing = Watched & { evidence: FlagEvidence }

/** Whether `entry` is watched and its tests run. */
export const isTesting = (entry: Watched | undefined): entry is Testing => entry?.evidence != null

/** The watch list's key of one flag in one environment. */
export const watchKey = (env: string, flag: string) => `${env}\u0000${flag}`

/** Whether counts from `source` feed this guard's tests: a guard set to `evidence: "server"` ignores browsers. */
export const takesFrom = (entry: Watched, source: EvidenceSource) => source === 'server' || entry.guard.evidence !== 'server'

/**
 * Which flags are guarded and with what settings: one entry per guarded flag, kept in line with
 * its stored state (guard settings, on/off, the active plan step). Flags without a guard have no
 * entry, so counts for them cost a map miss and allocate nothing.
 */
export function createWatchList(now: () => number) {
  /** By environment, then flag: a batch's intake looks its flags up in one environment's map. */
  const watched = new Map<string, Map<string, Watched>>()
  const none: ReadonlyMap<string, Watched> = new Map()
  const remove = (env: string, flag: string) => {
    const flags = watched.get(env)
    if (flags?.delete(flag) && flags.size === 0) watched.delete(env)
  }

  return {
    /** Brings one flag's entry in line with its stored state. */
    refresh(state: StoredFlagState): void {
      const guard = state.guard
      if (!guard) return remove(state.environment, state.key)
      let flags = watched.get(state.environment)
      if (!flags) watched.set(state.environment, (flags = new Map()))
      let entry = flags.get(state.key)
      if (!entry) flags.set(state.key, (entry = { env: state.environment, flag: state.key, guard, evidence: null, recent: new SlidingWindow(), fine: new FineSeries() }))
      entry.guard = guard
      if (!state.enabled) {
        // Evidence gathered before is about code that was switched off: a flag turned back on starts afresh.
        entry.evidence = null
        entry.recent.clear()
      } else if (!entry.evidence || entry.evidence.settingsKey !== settingsKey(guard)) {
        entry.evidence = new FlagEvidence(guard, now())
      }
      const plan = state.plan
      if (entry.evidence && plan?.status === 'active') entry.evidence.startPlanStep(`${plan.startedAt}/${plan.step}`, plan.step, now())
      else entry.evidence?.stopPlan()
    },
    forget(env: string, flag: string): void {
      remove(env, flag)
    },
    get(env: string, flag: string): Watched | undefined {
      return watched.get(env)?.get(flag)
    },
    has(env: string, flag: string): boolean {
      return watched.get(env)?.has(flag) ?? false
    },
    /** The guarded flags of one environment, by flag key (empty when it has none). */
    inEnvironment(env: string): ReadonlyMap<string, Watched> {
      return watched.get(env) ?? none
    },
    *entries(): Iterable<Watched> {
      for (const flags of watched.values()) yield* flags.values()
    },
  }
}

export type WatchList = ReturnType<typeof createWatchList>
