import { useEffect, useState } from 'hono/jsx/dom'
import * as shapes from '../../../api-shapes/index.ts'
import type { Credential } from '../api/credential.ts'
import { ApiError, createApi } from '../api/http.ts'
import { describedBy, Field, valueOf } from '../components/field.tsx'

/** Email and password: a server-side session in an httpOnly cookie (the console never holds its secret). */
function PasswordSignIn(props: { onSignIn: (credential: Credential) => void }) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)

  async function submit(event: Event) {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const { person } = await createApi({ kind: 'session', email }, () => {})('POST', '/api/v1/session', shapes.signedIn, { email, password })
      props.onSignIn({ kind: 'session', email: person.email })
    } catch (e) {
      const failure = e as ApiError
      setError(failure.status === 401 ? 'Wrong email or password.' : failure.message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="person-heading">
      <h2 id="person-heading">Sign in as a person</h2>
      <Field id="email" label="Email">
        <input id="email" type="email" autocomplete="username" value={email} onInput={(e: Event) => setEmail(valueOf(e))} />
      </Field>
      <Field id="password" label="Password" error={error}>
        <input
          id="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e: Event) => setPassword(valueOf(e))}
          {...describedBy('password', error)}
        />
      </Field>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Checking…' : 'Sign in with password'}
      </button>
    </form>
  )
}

/**
 * "Sign in with <provider>" when the server has single sign-on: a plain link, since the
 * provider's pages and the callback are whole-page navigations that end back on the console
 * with the session cookie set (the console then finds the session on load).
 */
function SsoSignIn(props: { name: string }) {
  return (
    <p class="sso">
      <a class="button primary" href="/api/v1/sso/start">
        Sign in with {props.name}
      </a>
    </p>
  )
}

/** What the server says of single sign-on; undefined until it answers (or when it cannot). */
function useSsoStatus() {
  const [status, setStatus] = useState<{ enabled: boolean; name?: string | undefined; ssoOnly: boolean } | undefined>(undefined)
  useEffect(() => {
    createApi({ kind: 'session', email: '' }, () => {})('GET', '/api/v1/sso', shapes.ssoStatus).then(setStatus, () => setStatus(undefined))
  }, [])
  return status
}

/**
 * Signs a person in with email and password, or takes an admin key (global or of one
 * environment), checked against the API before it is kept for this tab; the console then
 * opens on an environment the key or person may see.
 */
export function SignIn(props: { notice: string | undefined; onSignIn: (credential: Credential) => void }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const sso = useSsoStatus()

  async function submit(event: Event) {
    event.preventDefault()
    const secret = key.trim()
    if (!secret) return setError('Enter the admin key the server printed on its first start.')
    setBusy(true)
    try {
      const { items } = await createApi({ kind: 'key', key: secret }, () => {})('GET', '/api/v1/environments', shapes.environmentList)
      if (items.length === 0) return setError('This key sees no environment: ask for a key of the environment you work in.')
      props.onSignIn({ kind: 'key', key: secret })
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
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {sso?.enabled ? <SsoSignIn name={sso.name ?? 'SSO'} /> : null}
      {sso?.ssoOnly ? null : <PasswordSignIn onSignIn={props.onSignIn} />}
      <h2>Or use an admin key</h2>
      <p>
        Sign in with an admin key: a global key sees every environment, an environment's key only
        its own. It is kept in this browser tab only, until you sign out or close the tab.
      </p>
      <p class="muted" id="admin-key-origin">
        The server prints its first admin key once, on its first start (<code>admin key: cf_admin_…</code>).
        Lost it? On the server's machine, <code>canary keys create --kind admin --db &lt;database file&gt;</code>{' '}
        writes a new one straight into the database, no key needed (README, "Lost admin key").
      </p>
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
