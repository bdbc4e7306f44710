import type { Change, Snapshot } from './changes.ts'
import { compileFlag, type CompiledFlag } from './evaluate.ts'
import type { FlagState, Segment } from './types.ts'

/**
 * An environment's rules held in memory, compiled for evaluation, advanced one change at a time.
 * Changes are applied in place: a change touches one flag, and copying every map for it would
 * make each change cost O(flags) in every SDK. Applying is synchronous, so no reader ever sees
 * half a change.
 *
 * Two forms: `CompactRuleset` (the SDK) keeps only the compiled flags, which can rebuild their
 * states (`CompiledFlag.toState`) for caches; `Ruleset` (the server, which serves and filters
 * the states) also keeps the states as received.
 */
export interface CompactRuleset {
  readonly environment: string
  version: number
  readonly segments: Map<string, Segment>
  readonly compiled: Map<string, CompiledFlag>
  /** The states as received; only in the full form. */
  readonly flags?: Map<string, FlagState>
}

export interface Ruleset extends CompactRuleset {
  readonly flags: Map<string, FlagState>
}

/** What `applyChange` did: `stale` = already held; `gap` = a version is missing, resync. */
export type ApplyOutcome = 'applied' | 'stale' | 'gap'

/** The flag states of a ruleset: as received when kept, else rebuilt from the compiled flags. */
export function statesOf(ruleset: CompactRuleset): FlagState[] {
  if (ruleset.flags !== undefined) return [...ruleset.flags.values()]
  return [...ruleset.compiled.values()].map((flag) => flag.toState())
}

function compileAll(ruleset: CompactRuleset): void {
  const states: Array<[string, FlagState]> =
    ruleset.flags !== undefined
      ? [...ruleset.flags]
      : [...ruleset.compiled].map(([key, flag]) => [key, flag.toState()])
  ruleset.compiled.clear()
  for (const [key, state] of states) ruleset.compiled.set(key, compileFlag(state, ruleset.segments))
}

/** A ruleset from a snapshot that keeps the states as received (the server's own view). */
export function rulesetFromSnapshot(snapshot: Snapshot): Ruleset {
  const ruleset: Ruleset = {
    environment: snapshot.environment,
    version: snapshot.version,
    flags: new Map(snapshot.flags.map((f) => [f.key, f])),
    segments: new Map(snapshot.segments.map((s) => [s.key, s])),
    compiled: new Map(),
  }
  for (const [key, flag] of ruleset.flags) ruleset.compiled.set(key, compileFlag(flag, ruleset.segments))
  return ruleset
}

/**
 * A ruleset from a snapshot that keeps only what evaluation needs (server-key SDKs): the
 * compiled flags, whose identical rules are shared, and the segments (flags are recompiled
 * against them when one changes).
 */
export function compactRulesetFromSnapshot(snapshot: Snapshot): CompactRuleset {
  const segments = new Map(snapshot.segments.map((s) => [s.key, s]))
  const compiled = new Map<string, CompiledFlag>()
  // An index loop: a snapshot of 10,000 flags is compiled in one go, before V8 optimises the loop.
  const flags = snapshot.flags
  for (let i = 0; i < flags.length; i++) compiled.set(flags[i]!.key, compileFlag(flags[i]!, segments))
  return { environment: snapshot.environment, version: snapshot.version, segments, compiled }
}

/** The snapshot form of a ruleset (for caches and late joiners). */
export function snapshotOf(ruleset: CompactRuleset): Snapshot {
  return {
    environment: ruleset.environment,
    version: ruleset.version,
    flags: statesOf(ruleset),
    segments: [...ruleset.segments.values()],
  }
}

/**
 * Applies one change in place when it directly follows the held version. A change at or below
 * the held version is already applied (`stale`); one further ahead means a change was missed
 * (`gap`): the holder must resync instead of applying out of order, and nothing is touched.
 */
export function applyChange(ruleset: CompactRuleset, change: Change): ApplyOutcome {
  if (change.version <= ruleset.version) return 'stale'
  if (change.version !== ruleset.version + 1) return 'gap'
  switch (change.type) {
    case 'flag':
      ruleset.flags?.set(change.flag.key, change.flag)
      ruleset.compiled.set(change.flag.key, compileFlag(change.flag, ruleset.segments))
      break
    case 'flag_deleted':
      ruleset.flags?.delete(change.key)
      ruleset.compiled.delete(change.key)
      break
    case 'segment':
    case 'segment_deleted':
      if (change.type === 'segment') ruleset.segments.set(change.segment.key, change.segment)
      else ruleset.segments.delete(change.key)
      // Segments change rarely; recompiling every flag keeps "which flags use it" out of here.
      compileAll(ruleset)
      break
    default:
      return 'gap'
  }
  ruleset.version = change.version
  return 'applied'
}

/** Flag keys whose evaluation a change may affect. */
export function affectedFlags(ruleset: CompactRuleset, change: Change): string[] {
  if (change.type === 'flag') return [change.flag.key]
  if (change.type === 'flag_deleted') return [change.key]
  return [...ruleset.compiled.keys()]
}
