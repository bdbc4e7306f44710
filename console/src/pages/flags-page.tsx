import * as shapes from '../../../api-shapes/index.ts'
import { allPages } from '../../../api-shapes/pages.ts'
import { useCallback, useRef, useState } from 'hono/jsx/dom'
import type { ApiError } from '../api/http.ts'
import type { FlagListItem } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { CreateFlagForm } from '../components/create-flag-form.tsx'
import { FlagsTable } from '../components/flags-table.tsx'
import { valueOf } from '../components/field.tsx'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { useLive } from '../hooks/use-live.ts'
import { filterFlags, FLAG_FILTERS, type FlagFilter } from '../lib/flag-filter.ts'

/** Every flag's state at a glance in one environment, with search, a filter and creation. */
export function FlagsPage() {
  const { api, env, navigate } = useApp()
  const [flags, setFlags] = useState<FlagListItem[] | null>(null)
  const [error, setError] = useState<string | undefined>(undefined)
  const [query, setQuery] = useState('')
  const [filter, setFilter] = useState<FlagFilter>('all')
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null)

  const load = useCallback(() => {
    // Every page: search and the filters work on the whole list.
    allPages('/api/v1/flags', (path) => api('GET', path, shapes.flagList)).then(
      (items) => {
        setFlags(items)
        setError(undefined)
      },
      (e: ApiError) => setError(e.message),
    )
  }, [api])
  useCommitEffect(load, [load])

  // A burst of changes (a plan step, a bulk script) reloads the list once.
  const reloadSoon = () => {
    if (pending.current) clearTimeout(pending.current)
    pending.current = setTimeout(load, 250)
  }
  useCommitEffect(() => () => void (pending.current && clearTimeout(pending.current)), [])

  useLive((message) => {
    if (message.type === 'guard_update')
      setFlags(
        (list) =>
          list?.map((f) => {
            const state = f.environments[env]
            return f.key === message.flag && state
              ? {
                  ...f,
                  environments: {
                    ...f.environments,
                    [env]: { ...state, guard: message.guard.status },
                  },
                }
              : f
          }) ?? null,
      )
    else reloadSoon()
  })

  const shown = flags ? filterFlags(flags, env, query, filter) : []
  return (
    <div class="flags-page">
      <div class="page-head">
        <h1>Flags</h1>
        <CreateFlagForm onCreated={(key) => navigate({ page: 'flag', key })} />
      </div>
      <div class="filters" role="search">
        <div class="field">
          <label for="flag-search">Search</label>
          <input
            id="flag-search"
            type="search"
            placeholder="key, description or tag"
            value={query}
            onInput={(e: Event) => setQuery(valueOf(e))}
          />
        </div>
        <div class="field">
          <label for="flag-filter">Show</label>
          <select
            id="flag-filter"
            value={filter}
            onChange={(e: Event) => setFilter(valueOf(e) as FlagFilter)}
          >
            {FLAG_FILTERS.map(([value, label]) => (
              <option value={value} selected={value === filter}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error ? <p class="form-error">{error}</p> : null}
      {flags === null ? (
        <p class="loading">Loading flags…</p>
      ) : (
        <>
          <p class="count" aria-live="polite">
            {shown.length} of {flags.length} flags
          </p>
          <FlagsTable flags={shown} total={flags.length} />
        </>
      )}
    </div>
  )
}
