import { useState } from 'hono/jsx/dom'
import * as shapes from '../../../api-shapes/index.ts'
import { ApiError, createApi } from '../api/http.ts'
import { describedBy, Field, valueOf } from '../components/field.tsx'

/**
 * Asks for an admin key (global or of one environment) and checks it against the API before
 * keeping it for this tab; the console then opens on an environment the key may see.
 */
export function SignIn(props: { notice: string | undefined; onSignIn: (key: string) => void }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)

  async function submit(event: Event) {
    event.preventDefault()
    const secret = key.trim()
    if (!secret) return setError('Enter the admin key the server printed on its first start.')
    setBusy(true)
    try {
      const { items } = await createApi(secret, () => {})('GET', '/api/v1/environments', shapes.environmentList)
      if (items.length === 0) return setError('This key sees no environment: ask for a key of the environment you work in.')
      props.onSignIn(secret)
    } catch (e) {
      const failure = e as ApiError
      setError(
        failure.status === 401
          ? `This key was not accepted: ${failure.message}. A lost admin key can be replaced offline (see above).`
          : failure.status === 403
            ? `This key cannot use the console: ${failure.message}. The console needs an admin key (a global one, or one of an environment).`
            : failure.message,
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="sign-in">
      <h1>canary-flags</h1>
      <p>
        Sign in with an admin key: a global key sees every environment, an environment's key only
        its own. It is kept in this browser tab only, until you sign out or close the tab.
      </p>
      <p class="muted" id="admin-key-origin">
        The server prints its first admin key once, on its first start (<code>admin key: cf_admin_…</code>).
        Lost it? On the server's machine, <code>canary keys create --kind admin --db &lt;database file&gt;</code>{' '}
        writes a new one straight into the database, no key needed (README, "Lost admin key").
      </p>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <form onSubmit={submit} noValidate>
        <Field id="admin-key" label="Admin key" error={error}>
          <input
            id="admin-key"
            name="admin-key"
            type="password"
            autocomplete="off"
            value={key}
            onInput={(e: Event) => setKey(valueOf(e))}
            {...describedBy('admin-key', error)}
          />
        </Field>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
