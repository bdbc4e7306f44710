import * as shapes from '../../../api-shapes/index.ts'
import { useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import type { FlagState } from '../api/types.ts'
import { isProduction, useApp } from '../app-context.ts'
import { newerState } from '../lib/conflict.ts'
import type { FlagChanges } from '../lib/own-changes.ts'
import { Confirm } from './confirm.tsx'

/** What a person asked for: the state to reach, from the version they saw when they asked. */
interface Asked {
  to: boolean
  version: number
}

/** `checkout-v2 was already off in Production (version 7): nothing changed.` */
const alreadyWords = (key: string, enabled: boolean, where: string, version: number) =>
  `${key} was already ${enabled ? 'on' : 'off'} in ${where} (version ${version}): nothing changed.`

/**
 * Turns a flag on or off with the version on screen. In production it asks first, and the
 * question stays the one the person opened: a live update while it is open (someone else turned
 * the flag off) does not turn "off?" into "on?". A state that already holds what was asked
 * (the server's `changed: false`, or a 409 whose newer state is it) is said as such, not as an
 * error: turning off twice is what an incident looks like. Any other 409 shows the newer state
 * and changes nothing.
 */
export function SwitchButton(props: {
  id: string
  state: FlagState
  to: boolean
  label: string
  danger?: boolean
  changes: FlagChanges
}) {
  const { api, env, environments, requestsChanged } = useApp()
  const [confirming, setConfirming] = useState<Asked | null>(null)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>(undefined)
  const { state } = props
  const environment = environments.find((e) => e.key === env)
  const where = environment?.name ?? env

  async function flip(asked: Asked) {
    setConfirming(null)
    setBusy(true)
    setMessage(undefined)
    try {
      const path = `/api/v1/environments/${seg(env)}/flags/${seg(state.key)}`
      const answer = await api('PATCH', path, shapes.stateWriteAnswer, { enabled: asked.to, version: asked.version })
      if ('held' in answer) {
        // A protected environment made a change request of it: nothing changed yet.
        setMessage({ text: `${where} is protected: ${shapes.heldText(answer.request)}. Nothing changes until it is approved.`, error: false })
        requestsChanged()
        return
      }
      const next = answer
      if (next.changed) {
        // Turning on also clears the trip record, which no form edits.
        props.changes.saved(next, asked.version, ['enabled'])
      } else {
        // No new version: recording it as this page's own change would point a version at itself.
        props.changes.seen(next)
        setMessage({ text: alreadyWords(state.key, next.enabled, where, next.version), error: false })
      }
    } catch (e) {
      const failure = e as ApiError
      const current = newerState(failure)
      if (current) props.changes.seen(current)
      if (current && current.enabled === asked.to)
        setMessage({ text: alreadyWords(state.key, current.enabled, where, current.version), error: false })
      else if (current)
        setMessage({
          text:
            `Someone else changed this flag meanwhile (now ${current.enabled ? 'ON' : 'OFF'}, version ${current.version}). ` +
            'Nothing was changed: check the newer state above and try again.',
          error: true,
        })
      else setMessage({ text: failure.message, error: true })
    } finally {
      setBusy(false)
    }
  }

  const asked = confirming ?? { to: props.to, version: state.version }
  const verb = asked.to ? 'on' : 'off'
  return (
    <div class="switch">
      <button
        type="button"
        id={props.id}
        class={props.danger ? 'danger' : 'primary'}
        disabled={busy}
        onClick={() => {
          const now = { to: props.to, version: state.version }
          return isProduction(environment) ? setConfirming(now) : flip(now)
        }}
      >
        {props.label}
      </button>
      {confirming ? (
        <Confirm
          id={`${props.id}-confirm`}
          danger={!asked.to}
          message={`Turn ${state.key} ${verb} in ${where}? Every connected SDK applies it within moments.`}
          confirmLabel={`Yes, turn it ${verb} in ${where}`}
          onConfirm={() => flip(asked)}
          onCancel={() => setConfirming(null)}
        />
      ) : null}
      {message ? (
        <p class={message.error ? 'field-error' : 'notice'} role={message.error ? 'alert' : 'status'} data-switch-message>
          {message.text}
        </p>
      ) : null}
    </div>
  )
}
