import { bucketingModesOf } from './bucketing-modes.ts'
import { BUCKETING_MODES, type BucketingMode, type FlagState } from './types.ts'

/**
 * The compatibility rule of bucketing modes (SPEC.md §3, "Bucketing capability"): an SDK
 * announces the modes it evaluates (`hello.bucketing`, `?bucketing=`); a flag with a cohort in a
 * mode it did not announce is sent to it as *unavailable* — the same flag, off, with no cohorts —
 * so that an SDK that cannot compute the source product's hash answers `off` (fails closed) and
 * never buckets those users with the project's own hash instead.
 */

/**
 * The announced modes as a set, keeping only modes this core knows (an SDK newer than the
 * server may announce more; they cannot occur in this server's flags). Absent = none.
 *
 * @example
 * announcedModes(['unleash', 'future']) // Set { 'unleash' }
 */
export function announcedModes(list: readonly string[] | undefined): ReadonlySet<BucketingMode> {
  const known = new Set<BucketingMode>()
  for (const mode of list ?? []) if ((BUCKETING_MODES as readonly string[]).includes(mode)) known.add(mode as BucketingMode)
  return known
}

/**
 * Whether an SDK that announced `modes` can evaluate the state as it is. A cohort of an unknown
 * mode is never evaluable (the flag is malformed anyway).
 *
 * @example
 * isEvaluableWith(importedFromUnleash, new Set()) // false
 */
export function isEvaluableWith(state: FlagState, modes: ReadonlySet<BucketingMode>): boolean {
  // The common case first, allocating nothing: no cohort names a bucketing.
  const cohorts: unknown = typeof state === 'object' && state !== null ? state.cohorts : undefined
  if (Array.isArray(cohorts) && cohorts.every((c: unknown) => typeof c === 'object' && c !== null && (c as { bucketing?: unknown }).bucketing === undefined)) return true
  for (const mode of bucketingModesOf(state)) if (mode === 'unknown' || !modes.has(mode)) return false
  return true
}

/**
 * The unavailable form of a state: off, no cohorts, every other field as it was (so its version,
 * `clientSide` and caching stay right). Every SDK, however old, answers `off` for it.
 *
 * @example
 * unavailableState(state) // { ...state, enabled: false, cohorts: [] }
 */
export function unavailableState(state: FlagState): FlagState {
  return { ...state, enabled: false, cohorts: [] }
}

/**
 * The state as an SDK that announced `modes` may receive it: as it is, or its unavailable form.
 *
 * @example
 * stateForModes(state, announcedModes(hello.bucketing))
 */
export function stateForModes(state: FlagState, modes: ReadonlySet<BucketingMode>): FlagState {
  return isEvaluableWith(state, modes) ? state : unavailableState(state)
}
