import type { Change, Snapshot } from './changes.ts'
import { compileFlag, type CompiledFlag } from './evaluate.ts'
import type { FlagState, Segment } from './types.ts'

/**
 * An environment's rules held in memory, compiled for evaluation, advanced one change at a time.
 * Immutable: `apply` returns a new Ruleset, so a reader never sees half a change.
 */
export interface Ruleset {
  readonly environment: string
  readonly version: number
  readonly flags: ReadonlyMap<string, FlagState>
  readonly segments: ReadonlyMap<string, Segment>
  readonly compiled: ReadonlyMap<string, CompiledFlag>
}

function compileAll(flags: ReadonlyMap<string, FlagState>, segments: ReadonlyMap<string, Segment>) {
  return new Map([...flags].map(([key, flag]) => [key, compileFlag(flag, segments)]))
}

/** A ruleset from a snapshot (server-key SDK bootstrap, or the server's own view). */
export function rulesetFromSnapshot(snapshot: Snapshot): Ruleset {
  const flags = new Map(snapshot.flags.map((f) => [f.key, f]))
  const segments = new Map(snapshot.segments.map((s) => [s.key, s]))
  return { environment: snapshot.environment, version: snapshot.version, flags, segments, compiled: compileAll(flags, segments) }
}

/** The snapshot form of a ruleset (for caches). */
export function snapshotOf(ruleset: Ruleset): Snapshot {
  return {
    environment: ruleset.environment,
    version: ruleset.version,
    flags: [...ruleset.flags.values()],
    segments: [...ruleset.segments.values()],
  }
}

/**
 * The ruleset after one change, or undefined when the change does not directly follow this
 * version (a gap: the holder must resync instead of applying out of order). A change at or below
 * the current version is already applied and returns the ruleset unchanged.
 */
export function applyChange(ruleset: Ruleset, change: Change): Ruleset | undefined {
  if (change.version <= ruleset.version) return ruleset
  if (change.version !== ruleset.version + 1) return undefined
  const flags = new Map(ruleset.flags)
  const compiled = new Map(ruleset.compiled)
  let segments = ruleset.segments
  switch (change.type) {
    case 'flag':
      flags.set(change.flag.key, change.flag)
      compiled.set(change.flag.key, compileFlag(change.flag, segments))
      return { ...ruleset, version: change.version, flags, compiled }
    case 'flag_deleted':
      flags.delete(change.key)
      compiled.delete(change.key)
      return { ...ruleset, version: change.version, flags, compiled }
    case 'segment':
    case 'segment_deleted': {
      const next = new Map(segments)
      if (change.type === 'segment') next.set(change.segment.key, change.segment)
      else next.delete(change.key)
      segments = next
      // Segments change rarely; recompiling every flag keeps "which flags use it" out of here.
      return { ...ruleset, version: change.version, segments, compiled: compileAll(flags, segments) }
    }
    default:
      return undefined
  }
}

/** Flag keys whose evaluation a change may affect. */
export function affectedFlags(ruleset: Ruleset, change: Change): string[] {
  if (change.type === 'flag') return [change.flag.key]
  if (change.type === 'flag_deleted') return [change.key]
  return [...ruleset.flags.keys()]
}
