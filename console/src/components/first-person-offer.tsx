import { useState } from 'hono/jsx/dom'
import * as shapes from '../../../api-shapes/index.ts'
import type { Credential } from '../api/credential.ts'
import { ApiError, createApi } from '../api/http.ts'
import { useApp } from '../app-context.ts'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { describedBy, Field, FormError, valueOf } from './field.tsx'

/**
 * While no person exists, a global admin key's holder is offered to create the first admin
 * person (email, name, password) and to continue signed in as them, so the audit log names
 * people from then on. Collapsed until asked; the key keeps working either way.
 */
export function FirstPersonOffer(props: { onSignedIn: (credential: Credential) => void }) {
  const { api } = useApp()
  const [offer, setOffer] = useState(false)
  const [open, setOpen] = useState(false)
  const [form, setForm] = useState({ email: '', name: '', password: '' })
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const [busy, setBusy] = useState(false)

  useCommitEffect(() => {
    api('GET', '/api/v1/session', shapes.whoAmI).then(
      (me) => setOffer(me.type === 'key' && me.key.environment === null && !me.peopleExist),
      () => setOffer(false),
    )
  }, [api])
  if (!offer) return null

  const fieldError = (field: string) => error?.issues.find((i) => i.field === field)?.message
  async function submit(event: Event) {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await api('POST', '/api/v1/members', shapes.person, { ...form, admin: true })
      await createApi({ kind: 'session', email: form.email }, () => {})('POST', '/api/v1/session', shapes.signedIn, {
        email: form.email,
        password: form.password,
      })
      props.onSignedIn({ kind: 'session', email: form.email.trim().toLowerCase() })
    } catch (e) {
      setError(e as ApiError)
    } finally {
      setBusy(false)
    }
  }

  if (!open)
    return (
      <div class="notice first-person">
        No person can sign in yet: everyone shares this key, so the audit log cannot say who did what.{' '}
        <button type="button" class="link" onClick={() => setOpen(true)}>
          Create the first admin person
        </button>
      </div>
    )
  const input = (id: 'email' | 'name' | 'password', label: string, type: string, autocomplete: string) => (
    <Field id={`first-${id}`} label={label} error={fieldError(id)}>
      <input
        id={`first-${id}`}
        type={type}
        autocomplete={autocomplete}
        value={form[id]}
        onInput={(e: Event) => setForm({ ...form, [id]: valueOf(e) })}
        {...describedBy(`first-${id}`, fieldError(id))}
      />
    </Field>
  )
  return (
    <form class="notice first-person" onSubmit={submit} noValidate>
      <h2>The first admin person</h2>
      <p class="muted">A global admin: every role in every environment, and manages members. You continue signed in as them.</p>
      {input('email', 'Email', 'email', 'username')}
      {input('name', 'Name', 'text', 'name')}
      {input('password', 'Password', 'password', 'new-password')}
      <FormError message={error && !error.issues.some((i) => i.field) ? error.message : undefined} />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create and continue as this person'}
      </button>
    </form>
  )
}
