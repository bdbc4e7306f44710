import type { FlagWithStates, Page } from './contract.ts'
import { toDefinition, toState, type FlagRowFields, type StateRowFields } from './rows.ts'

/**
 * Keyset pages, the same for both dialects: each asks its table for `limit + 1` rows after the
 * cursor, and the extra row only says whether another page follows (so the last page says
 * null, not an empty page after it).
 */
export function cut<T>(rows: T[], limit: number, keyOf: (row: T) => string): { rows: T[]; next: string | null } {
  if (rows.length <= limit) return { rows, next: null }
  const page = rows.slice(0, limit)
  return { rows: page, next: keyOf(page[limit - 1]!) }
}

/**
 * A page of flags from its two queries: the page's flag rows and the state rows of the same
 * key range. States are grouped in one pass (O(flags + states)); a state takes its flag's
 * client visibility from the flag row, so the states query needs no join.
 */
export function flagPage(flagRows: readonly FlagRowFields[], stateRows: readonly StateRowFields[], next: string | null): Page<FlagWithStates> {
  const grouped = new Map<string, StateRowFields[]>()
  for (const row of stateRows) {
    const list = grouped.get(row.flagKey)
    if (list) list.push(row)
    else grouped.set(row.flagKey, [row])
  }
  const items = flagRows.map((flag) => ({
    ...toDefinition(flag),
    states: (grouped.get(flag.key) ?? []).map((row) => toState(row, flag.clientSide)),
  }))
  return { items, next }
}
