import { useState } from 'hono/jsx/dom'
import * as shapes from '../../../api-shapes/index.ts'
import type { ApiError } from '../api/http.ts'
import { useApp } from '../app-context.ts'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { describedBy, Field, FormError, valueOf } from './field.tsx'

/**
 * The user menu's "Change password" for a person signed in with a password: the current one
 * and the new one. The server ends every other session of the person at once (on every
 * replica) and keeps this one; a wrong current password is a 403 naming the field, shown under it.
 * Not shown to a person who signs in only by single sign-on (they have no password here).
 */
export function PasswordChange() {
  const { api } = useApp()
  const [hasPassword, setHasPassword] = useState(false)
  const [open, setOpen] = useState(false)
  const [form, setForm] = useState({ currentPassword: '', newPassword: '' })
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const [done, setDone] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)

  useCommitEffect(() => {
    api('GET', '/api/v1/session', shapes.whoAmI).then(
      (me) => setHasPassword(me.type === 'person' && me.person.hasPassword),
      () => setHasPassword(false),
    )
  }, [api])
  if (!hasPassword) return null

  const fieldError = (field: string) => error?.issues.find((i) => i.field === field)?.message
  async function submit(event: Event) {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const { endedSessions } = await api('POST', '/api/v1/session/password', shapes.passwordChanged, form)
      const others = endedSessions === 1 ? '1 other session was' : `${endedSessions} other sessions were`
      setDone(`Password changed. ${others} signed out.`)
      setForm({ currentPassword: '', newPassword: '' })
      setOpen(false)
    } catch (e) {
      setError(e as ApiError)
    } finally {
      setBusy(false)
    }
  }

  const input = (id: 'currentPassword' | 'newPassword', label: string, autocomplete: string, hint?: string) => (
    <Field id={`pw-${id}`} label={label} error={fieldError(id)} hint={hint}>
      <input
        id={`pw-${id}`}
        type="password"
        autocomplete={autocomplete}
        value={form[id]}
        onInput={(e: Event) => setForm({ ...form, [id]: valueOf(e) })}
        {...describedBy(`pw-${id}`, fieldError(id), hint !== undefined)}
      />
    </Field>
  )
  return (
    <>
      <button
        type="button"
        class="link"
        aria-expanded={open ? 'true' : 'false'}
        onClick={() => {
          setOpen(!open)
          setDone(undefined)
          setError(undefined)
        }}
      >
        Change password
      </button>
      {done ? (
        <span class="muted" role="status">
          {done}
        </span>
      ) : null}
      {open ? (
        <form class="notice password-change" onSubmit={submit} noValidate aria-label="Change password">
          {input('currentPassword', 'Current password', 'current-password')}
          {input('newPassword', 'New password', 'new-password', 'At least 12 characters. Your other sessions end; this one stays.')}
          <FormError message={error && !error.issues.some((i) => i.field) ? error.message : undefined} />
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </form>
      ) : null}
    </>
  )
}
