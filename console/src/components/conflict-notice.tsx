import type { FlagState } from '../api/types.ts'
import { describeCohort } from '../lib/describe.ts'
import { formatTime } from '../lib/format.ts'

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
