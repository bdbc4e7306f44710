import { useState } from 'hono/jsx/dom'

/**
 * A form's unsaved edits of server state, with the version they started from. Saving sends
 * `base`; when the server has moved past it (`stale`), the form says so instead of saving
 * over the newer state. `saved` must be stable per version (memoised), so list keys hold.
 *
 * @example
 * const cohorts = useDraft(savedDrafts, state.version, (base) => own.follow(base, 'cohorts'))
 * cohorts.edit((list) => [...list, newCohort])
 * save({ cohorts: cohorts.value, version: cohorts.base })
 */
export function useDraft<T>(
  saved: T,
  version: number,
  follow: (base: number) => number = (b) => b,
) {
  const [draft, setDraft] = useState<{ value: T; base: number } | null>(null)
  // Changes this page made to other parts meanwhile do not make the edits stale.
  const base = draft ? follow(draft.base) : version
  return {
    value: draft ? draft.value : saved,
    editing: draft !== null,
    base,
    /** Someone saved a newer version while these edits were open. */
    stale: draft !== null && base !== version,
    edit: (change: (current: T) => T) =>
      setDraft((d) => ({ value: change(d ? d.value : saved), base: d ? d.base : version })),
    discard: () => setDraft(null),
    /** The person read the newer state and keeps their edits on top of it. */
    rebase: () => setDraft((d) => d && { ...d, base: version }),
  }
}
