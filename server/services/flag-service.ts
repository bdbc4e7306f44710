import type { Change } from '../../sdk/core/changes.ts'
import type { Cohort } from '../../sdk/core/types.ts'
import { NotFoundError, ValidationError } from '../errors.ts'
import { guardOf } from '../guard/guard-state.ts'
import type { StatePatch, StoredFlagState } from '../store/flag-store.ts'
import type { SegmentInput } from '../store/segment-store.ts'
import type { Store } from '../store/store.ts'
import type { Hub } from '../stream/hub.ts'

export interface StateUpdate {
  enabled?: boolean | undefined
  stickiness?: string | undefined
  cohorts?: Cohort[] | undefined
}

/** The cohorts with one cohort's rollout replaced; 404 when the flag has no such cohort. */
export function withRollout(state: StoredFlagState, cohortName: string, rollout: number): Cohort[] {
  if (!state.cohorts.some((c) => c.name === cohortName))
    throw new NotFoundError(`cohort ${cohortName} of flag ${state.key} in ${state.environment}`)
  return state.cohorts.map((c) => (c.name === cohortName ? { ...c, rollout } : c))
}

/** Names of the segments the cohorts reference that do not exist in the environment. */
function unknownSegments(cohorts: Cohort[], known: Set<string>): string[] {
  return cohorts.flatMap((c) =>
    c.conditions.flatMap((cond) => ('segment' in cond && !known.has(cond.segment) ? [cond.segment] : [])),
  )
}

/**
 * The write side of flags and segments: store (one transaction each) → publish to the hub after
 * commit. Routes, the CLI (through the API), the guard and rollout plans all change rules here.
 */
export function createFlagService({ store, hub }: { store: Store; hub: Hub }) {
  const publish = (envKey: string, change: Change) => hub.publish(envKey, change)
  const publishAll = (changes: Change[], envOf: (i: number) => string) =>
    changes.forEach((c, i) => publish(envOf(i), c))

  function applyState(
    envKey: string,
    key: string,
    options: {
      actor: string
      action: string
      expectedVersion?: number | undefined
      details?: unknown
      update: (current: StoredFlagState) => StatePatch
    },
  ): StoredFlagState {
    const { state, change } = store.flags.updateState(envKey, key, options)
    publish(envKey, change)
    return state
  }

  return {
    createEnvironment(input: { key: string; name: string }, actor: string) {
      const changes = store.flags.createEnvironment(input, actor)
      changes.forEach((c) => publish(input.key, c))
      return store.flags.getEnvironment(input.key)
    },

    createFlag(input: { key: string; description: string; tags: string[] }, actor: string) {
      const envs = store.flags.listEnvironments().map((e) => e.key)
      const changes = store.flags.createFlag(input, actor)
      publishAll(changes, (i) => envs[i]!)
      return store.flags.getFlag(input.key)
    },

    archiveFlag(key: string, actor: string) {
      const envs = store.flags.getFlag(key).states.map((s) => s.environment)
      publishAll(store.flags.archiveFlag(key, actor), (i) => envs[i]!)
    },

    /**
     * The one way a flag state changes: `update` runs inside the store's transaction (it may
     * throw to abort, or read the current state), then the change is published after commit.
     * Guard trips and rollout plans use it directly with their own actor and action.
     */
    applyState,

    /** On/off, stickiness and/or cohorts; the audit action says what kind of change it was. */
    updateState(
      envKey: string,
      key: string,
      update: StateUpdate,
      options: { actor: string; expectedVersion?: number | undefined },
    ): StoredFlagState {
      const action =
        update.cohorts !== undefined
          ? 'flag.cohorts'
          : update.stickiness !== undefined
            ? 'flag.stickiness'
            : update.enabled === true
              ? 'flag.on'
              : 'flag.off'
      if (update.cohorts) {
        const missing = unknownSegments(update.cohorts, new Set(store.segments.list(envKey).map((s) => s.key)))
        if (missing.length) throw new ValidationError(`cohorts: unknown segment ${missing.join(', ')} in ${envKey}`)
      }
      const patch: StatePatch = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined))
      // Turning a tripped flag back on is the person's answer to the trip: clear the banner.
      return applyState(envKey, key, {
        ...options,
        action,
        update: (current) => {
          const guard = guardOf(current)
          return update.enabled === true && guard?.lastTrip ? { ...patch, guard: { ...guard, lastTrip: null } } : patch
        },
      })
    },

    /** The "widen" action: one cohort's percentage, leaving the salt (and so every user in) as is. */
    setRollout(
      envKey: string,
      key: string,
      cohortName: string,
      rollout: number,
      options: { actor: string; expectedVersion?: number | undefined },
    ): StoredFlagState {
      return applyState(envKey, key, {
        ...options,
        action: 'flag.rollout',
        details: { cohort: cohortName, rollout },
        update: (current) => ({ cohorts: withRollout(current, cohortName, rollout) }),
      })
    },

    putSegment(
      envKey: string,
      input: SegmentInput,
      options: { actor: string; create: boolean; expectedVersion?: number | undefined },
    ) {
      store.flags.getEnvironment(envKey)
      const { segment, change } = store.segments.put(envKey, input, options)
      publish(envKey, change)
      return segment
    },

    removeSegment(envKey: string, key: string, actor: string) {
      publish(envKey, store.segments.remove(envKey, key, actor))
    },
  }
}

export type FlagService = ReturnType<typeof createFlagService>
