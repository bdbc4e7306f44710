import * as shapes from '../../../api-shapes/index.ts'
import { useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import type { FlagState } from '../api/types.ts'
import { isProduction, useApp } from '../app-context.ts'
import { newerState } from '../lib/conflict.ts'
import type { FlagChanges } from '../lib/own-changes.ts'
import { Confirm } from './confirm.tsx'

/**
 * Turns a flag on or off with the version on screen. In production it asks first. A 409 shows
 * the newer state and changes nothing.
 */
export function SwitchButton(props: {
  id: string
  state: FlagState
  to: boolean
  label: string
  danger?: boolean
  changes: FlagChanges
}) {
  const { api, env, environments } = useApp()
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string | undefined>(undefined)
  const { state, to } = props
  const environment = environments.find((e) => e.key === env)

  async function flip() {
    setConfirming(false)
    setBusy(true)
    setMessage(undefined)
    try {
      const path = `/api/v1/environments/${seg(env)}/flags/${seg(state.key)}`
      const next = await api('PATCH', path, shapes.flagState, { enabled: to, version: state.version })
      // Turning on also clears the trip record, which no form edits.
      props.changes.saved(next, state.version, ['enabled'])
    } catch (e) {
      const failure = e as ApiError
      const current = newerState(failure)
      if (current) {
        props.changes.seen(current)
        setMessage(
          `Someone else changed this flag meanwhile (now ${current.enabled ? 'ON' : 'OFF'}, version ${current.version}). ` +
            'Nothing was changed: check the newer state above and try again.',
        )
      } else setMessage(failure.message)
    } finally {
      setBusy(false)
    }
  }

  const verb = to ? 'on' : 'off'
  return (
    <div class="switch">
      <button
        type="button"
        id={props.id}
        class={props.danger ? 'danger' : 'primary'}
        disabled={busy}
        onClick={() => (isProduction(environment) ? setConfirming(true) : flip())}
      >
        {props.label}
      </button>
      {confirming ? (
        <Confirm
          id={`${props.id}-confirm`}
          danger={!to}
          message={`Turn ${state.key} ${verb} in ${environment?.name ?? env}? Every connected SDK applies it within moments.`}
          confirmLabel={`Yes, turn it ${verb} in ${environment?.name ?? env}`}
          onConfirm={flip}
          onCancel={() => setConfirming(false)}
        />
      ) : null}
      {message ? (
        <p class="field-error" role="alert">
          {message}
        </p>
      ) : null}
    </div>
  )
}
