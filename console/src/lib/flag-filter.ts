import type { FlagListItem } from '../api/types.ts'

export type FlagFilter = 'all' | 'on' | 'off' | 'tripped' | 'attention' | 'planned'

export const FLAG_FILTERS: ReadonlyArray<readonly [FlagFilter, string]> = [
  ['all', 'All flags'],
  ['on', 'On'],
  ['off', 'Off'],
  ['tripped', 'Tripped by the guard'],
  ['attention', 'Guard not healthy'],
  ['planned', 'With a rollout plan'],
]

const matchesFilter = (
  state: FlagListItem['environments'][string] | undefined,
  filter: FlagFilter,
) => {
  if (!state) return filter === 'all'
  switch (filter) {
    case 'all':
      return true
    case 'on':
      return state.enabled
    case 'off':
      return !state.enabled
    case 'tripped':
      return state.guard === 'tripped' || state.guard === 'trip'
    case 'attention':
      return (
        state.guard === 'tripped' || state.guard === 'trip' || state.guard === 'insufficient_data'
      )
    case 'planned':
      return (
        state.plan !== null && (state.plan.status === 'active' || state.plan.status === 'paused')
      )
  }
}

/** Flags whose key, description or a tag contains `query` (any case) and that pass `filter` in `env`. */
export function filterFlags(
  flags: readonly FlagListItem[],
  env: string,
  query: string,
  filter: FlagFilter,
): FlagListItem[] {
  const q = query.trim().toLowerCase()
  return flags.filter(
    (f) =>
      (!q ||
        f.key.includes(q) ||
        f.description.toLowerCase().includes(q) ||
        f.tags.some((t) => t.toLowerCase().includes(q))) &&
      matchesFilter(f.environments[env], filter),
  )
}
