import { isEvaluableWith, unavailableState } from '../../sdk/core/bucketing-capability.ts'
import type { Change, Snapshot } from '../../sdk/core/changes.ts'
import { BUCKETING_MODES, type BucketingMode, type FlagState } from '../../sdk/core/types.ts'

/**
 * What a server-key SDK receives given the bucketing modes it announced (sdk/SPEC.md §3,
 * "Bucketing capability"): flags it can evaluate as they are, the others in their unavailable
 * form (off, no cohorts). Most rulesets have no flag with a mode: then every function here
 * answers its input itself, so the frames encoded once per version stay shared by every SDK.
 */

export type Modes = ReadonlySet<BucketingMode>

/** An SDK that announced every mode this server knows receives every flag as it is. */
export const knowsAll = (modes: Modes): boolean => modes.size === BUCKETING_MODES.length

/** A stable name for a set of modes, to share frames between SDKs that announced the same. */
export const viewKey = (modes: Modes): string => BUCKETING_MODES.filter((m) => modes.has(m)).join(',')

/** The flag keys of `flags` the SDK cannot evaluate (it receives them unavailable). */
export function unavailableKeys(flags: readonly FlagState[], modes: Modes): string[] {
  if (knowsAll(modes)) return []
  return flags.filter((state) => !isEvaluableWith(state, modes)).map((state) => state.key)
}

/** The snapshot as this SDK receives it (the same object when nothing differs). */
export function snapshotFor(snapshot: Snapshot, modes: Modes): Snapshot {
  if (unavailableKeys(snapshot.flags, modes).length === 0) return snapshot
  return { ...snapshot, flags: snapshot.flags.map((state) => (isEvaluableWith(state, modes) ? state : unavailableState(state))) }
}

/** The changes as this SDK receives them (the same array when nothing differs). */
export function changesFor(changes: Change[], modes: Modes): Change[] {
  if (knowsAll(modes)) return changes
  const needs = (c: Change) => c.type === 'flag' && !isEvaluableWith(c.flag, modes)
  if (!changes.some(needs)) return changes
  return changes.map((c) => (c.type === 'flag' && needs(c) ? { ...c, flag: unavailableState(c.flag) } : c))
}

/**
 * Keeps a connection's set of flags it holds as unavailable up to date with what was just sent
 * to it: the count `GET /api/v1/connections` shows (`unavailableFlags`).
 */
export function trackSent(unavailable: Set<string>, sent: { snapshot: Snapshot } | { changes: readonly Change[] }, modes: Modes): void {
  if (knowsAll(modes)) return unavailable.clear()
  if ('snapshot' in sent) {
    unavailable.clear()
    for (const key of unavailableKeys(sent.snapshot.flags, modes)) unavailable.add(key)
    return
  }
  for (const change of sent.changes) {
    if (change.type === 'flag_deleted') unavailable.delete(change.key)
    else if (change.type === 'flag') {
      if (isEvaluableWith(change.flag, modes)) unavailable.delete(change.flag.key)
      else unavailable.add(change.flag.key)
    }
  }
}
