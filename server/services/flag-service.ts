import type { Change } from '../../sdk/core/changes.ts'
import type { Cohort } from '../../sdk/core/types.ts'
import { NotFoundError, ValidationError } from '../errors.ts'
import type { StoredFlagState } from '../store/flag-store.ts'
import type { SegmentInput } from '../store/segment-store.ts'
import type { Store } from '../store/store.ts'
import type { Hub } from '../stream/hub.ts'

export interface StateUpdate {
  enabled?: boolean | undefined
  stickiness?: string | undefined
  cohorts?: Cohort[] | undefined
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
     * Changes on/off, stickiness and/or cohorts of one flag in one environment. The action name
     * in the audit log says what kind of change it was.
     */
    updateState(
      envKey: string,
      key: string,
      update: StateUpdate,
      options: { actor: string; expectedVersion?: number | undefined; details?: unknown },
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
      const patch = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined))
      const { state, change } = store.flags.updateState(envKey, key, {
        ...options,
        action,
        update: () => patch,
      })
      publish(envKey, change)
      return state
    },

    /** The "widen" action: one cohort's percentage, leaving the salt (and so every user in) as is. */
    setRollout(
      envKey: string,
      key: string,
      cohortName: string,
      rollout: number,
      options: { actor: string; expectedVersion?: number | undefined; details?: unknown },
    ): StoredFlagState {
      const { state, change } = store.flags.updateState(envKey, key, {
        ...options,
        action: 'flag.rollout',
        update: (current) => {
          if (!current.cohorts.some((c) => c.name === cohortName))
            throw new NotFoundError(`cohort ${cohortName} of flag ${key} in ${envKey}`)
          return { cohorts: current.cohorts.map((c) => (c.name === cohortName ? { ...c, rollout } : c)) }
        },
      })
      publish(envKey, change)
      return state
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
