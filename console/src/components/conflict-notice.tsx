import { useState } from 'hono/jsx/dom'
import type { ApiError } from '../api/http.ts'
import type { FlagState } from '../api/types.ts'
import { newerState } from '../lib/conflict.ts'
import { describeCohort } from '../lib/describe.ts'
import { formatTime } from '../lib/format.ts'
import type { FlagChanges } from '../lib/own-changes.ts'

/**
 * "Someone else changed this flag": shown when a save came back 409 or a newer version arrived
 * while a form had unsaved edits. Shows the newer state; the person decides, nothing is
 * overwritten behind their back.
 */
export function ConflictNotice(props: {
  current: FlagState
  base: number
  serverMessage: string | undefined
  onDiscard: () => void
  onKeep: () => void
}) {
  const { current } = props
  return (
    <div class="conflict" role="alert">
      <h3>Someone else changed this flag</h3>
      <p>
        It is now at version {current.version} (changed {formatTime(current.updatedAt)}); your edits
        started from version {props.base}.{' '}
        {props.serverMessage ? 'Your changes were not saved.' : 'Saving now would be refused.'}
      </p>
      {props.serverMessage ? <p class="muted">Server: {props.serverMessage}</p> : null}
      <div class="newer-state">
        <p>
          <strong>Their version:</strong> {current.enabled ? 'ON' : 'OFF'}
        </p>
        <ul>
          {current.cohorts.length === 0 ? <li>no cohorts</li> : null}
          {current.cohorts.map((c) => (
            <li>
              {c.name}: {describeCohort(c)}
            </li>
          ))}
        </ul>
      </div>
      <div class="actions">
        <button type="button" onClick={props.onDiscard}>
          Discard my edits, show theirs
        </button>
        <button type="button" onClick={props.onKeep}>
          Keep my edits on top of version {current.version}
        </button>
      </div>
    </div>
  )
}

/**
 * A draft form's refused save: set from a 409 (its message shown, the newer state passed to the
 * page), cleared when the person saves, discards or keeps their edits.
 *
 * @example
 * const conflict = useConflict(props.changes)
 * try { await save() ; conflict.clear() } catch (e) { if (!conflict.caught(e as ApiError)) showErrors(e) }
 */
export function useConflict(changes: FlagChanges) {
  const [message, setMessage] = useState<string | undefined>(undefined)
  return {
    /** The server's words for the last refused save; undefined when there is none. */
    message,
    clear: () => setMessage(undefined),
    /** Takes a failed save: true when it was refused for a newer state, false for anything else. */
    caught(failure: ApiError): boolean {
      const current = newerState(failure)
      if (!current) return false
      setMessage(failure.message)
      changes.seen(current)
      return true
    },
  }
}

/** ConflictNotice for a draft form, while its draft is stale or its last save was refused. */
export function DraftConflict(props: {
  state: FlagState
  draft: { stale: boolean; base: number; rebase: () => void }
  conflict: ReturnType<typeof useConflict>
  onDiscard: () => void
}) {
  const { draft, conflict } = props
  if (!draft.stale && !conflict.message) return null
  return (
    <ConflictNotice
      current={props.state}
      base={draft.base}
      serverMessage={conflict.message}
      onDiscard={() => {
        props.onDiscard()
        conflict.clear()
      }}
      onKeep={() => {
        draft.rebase()
        conflict.clear()
      }}
    />
  )
}
