import { isDeepStrictEqual } from 'node:util'
import type { Cohort, Segment } from '../../sdk/core/types.ts'
import { ConflictError } from '../errors.ts'
import type { ImportInput, ImportOutcome, StoredFlagState } from './contract.ts'

/**
 * What an import does to each flag and segment, decided once for both dialects (pure): the
 * dialect reads what exists in the target environment, asks `decideImport`, and writes.
 *
 * - A flag or segment that does not exist is created (`create`).
 * - One that exists with the very rules being imported is left alone (`unchanged`): re-running
 *   an import is idempotent.
 * - A flag that exists but whose state in this environment was never set (off, no cohorts) gets
 *   the imported rules (`update`): importing production after staging is not an overwrite.
 * - Anything else is someone's rules: the import is refused naming every such flag and segment
 *   (ConflictError, nothing written), unless `overwrite` (`overwrite`).
 */

export interface ImportCurrent {
  /** Live flags that exist, with their state in the target environment. */
  states: ReadonlyMap<string, StoredFlagState>
  segments: ReadonlyMap<string, Segment>
}

const sameCohorts = (a: readonly Cohort[], b: readonly Cohort[]) => isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)))

const sameSegment = (a: Segment, b: ImportInput['segments'][number]) =>
  isDeepStrictEqual([a.description ?? '', a.userIds, a.conditions], [b.description ?? '', b.userIds, JSON.parse(JSON.stringify(b.conditions))])

/**
 * @example
 * decideImport('production', { states: new Map(), segments: new Map() }, input, false)
 * // { flags: [{ key: 'Feature.A', action: 'create' }], segments: [] }
 */
export function decideImport(envKey: string, current: ImportCurrent, input: ImportInput, overwrite: boolean): ImportOutcome {
  const flags = input.flags.map((flag) => {
    const state = current.states.get(flag.key)
    if (state === undefined) return { key: flag.key, action: 'create' as const }
    if (state.enabled === flag.enabled && sameCohorts(state.cohorts, flag.cohorts)) return { key: flag.key, action: 'unchanged' as const }
    if (!state.enabled && state.cohorts.length === 0) return { key: flag.key, action: 'update' as const }
    return { key: flag.key, action: overwrite ? ('overwrite' as const) : ('conflict' as const) }
  })
  const segments = input.segments.map((segment) => {
    const existing = current.segments.get(segment.key)
    if (existing === undefined) return { key: segment.key, action: 'create' as const }
    if (sameSegment(existing, segment)) return { key: segment.key, action: 'unchanged' as const }
    return { key: segment.key, action: overwrite ? ('overwrite' as const) : ('conflict' as const) }
  })
  const conflicts = [...flags, ...segments].filter((x) => x.action === 'conflict')
  if (conflicts.length > 0) {
    const flagKeys = flags.filter((x) => x.action === 'conflict').map((x) => x.key)
    const segmentKeys = segments.filter((x) => x.action === 'conflict').map((x) => x.key)
    const named = [
      flagKeys.length > 0 ? `flags ${flagKeys.slice(0, 10).join(', ')}${flagKeys.length > 10 ? ` and ${flagKeys.length - 10} more` : ''}` : '',
      segmentKeys.length > 0 ? `segments ${segmentKeys.slice(0, 10).join(', ')}` : '',
    ].filter(Boolean)
    throw new ConflictError(
      `${named.join(' and ')} already exist in ${envKey} with other rules: nothing was imported (re-run with overwrite to replace them)`,
      { flags: flagKeys, segments: segmentKeys },
    )
  }
  return { flags, segments }
}
