import * as shapes from '../../../api-shapes/index.ts'
import { useState } from 'hono/jsx/dom'
import type { ApiError } from '../api/http.ts'
import type { FlagState } from '../api/types.ts'
import { useApp } from '../app-context.ts'

/**
 * Whether browsers (client keys) may see this flag at all. Shared by every environment; a
 * hidden flag answers a browser exactly like a missing one. The answer is a flag definition, not
 * this environment's state: after it, `onSaved` reloads the state (the live feed also announces
 * the change, but a console whose socket is still saying hello would miss it).
 */
export function ClientSideToggle(props: { state: FlagState; onSaved: () => void }) {
  const { api } = useApp()
  const visible = props.state.clientSide === true
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string | undefined>(undefined)

  async function toggle() {
    setBusy(true)
    setMessage(undefined)
    try {
      await api('PATCH', `/api/v1/flags/${encodeURIComponent(props.state.key)}`, shapes.flagDefinition, { clientSide: !visible })
      props.onSaved()
    } catch (e) {
      setMessage((e as ApiError).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class="client-side card" aria-labelledby="client-side-heading">
      <h2 id="client-side-heading">Browsers</h2>
      <p>
        {visible
          ? 'Browser SDKs (client keys) can see this flag, in every environment. They get on or off and a generic reason, never the cohorts.'
          : 'Hidden from browser SDKs (client keys) in every environment: to a browser it does not exist. Server SDKs see it as usual.'}
      </p>
      <button type="button" id="client-side-button" disabled={busy} onClick={toggle}>
        {visible ? 'Hide from browsers' : 'Show to browsers'}
      </button>
      {message ? (
        <p class="form-error" role="alert">
          {message}
        </p>
      ) : null}
    </section>
  )
}
