import * as shapes from '../../../api-shapes/index.ts'
import { useState } from 'hono/jsx/dom'
import type { ApiError } from '../api/http.ts'
import { useApp } from '../app-context.ts'
import { fieldErrors, NO_ERRORS, type FieldErrors } from '../lib/field-errors.ts'
import { describedBy, Field, FormError, valueOf } from './field.tsx'

/** Creates a flag (off, no cohorts, in every environment) and opens it. */
export function CreateFlagForm(props: { onCreated: (key: string) => void }) {
  const { api } = useApp()
  const [open, setOpen] = useState(false)
  const [key, setKey] = useState('')
  const [description, setDescription] = useState('')
  const [tags, setTags] = useState('')
  const [clientSide, setClientSide] = useState(false)
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS)
  const [busy, setBusy] = useState(false)

  if (!open)
    return (
      <button type="button" class="primary" onClick={() => setOpen(true)}>
        New flag
      </button>
    )

  async function submit(event: Event) {
    event.preventDefault()
    setBusy(true)
    try {
      const body = {
        key: key.trim(),
        description: description.trim(),
        tags: tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        clientSide,
      }
      await api('POST', '/api/v1/flags', shapes.flagDetail, body)
      props.onCreated(body.key)
    } catch (e) {
      setErrors(fieldErrors((e as ApiError).issues, ['key', 'description', 'tags']))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="create-flag card" onSubmit={submit} noValidate aria-label="New flag">
      <h2>New flag</h2>
      <Field
        id="new-flag-key"
        label="Key"
        hint="lowercase letters, digits, . _ -  (e.g. checkout-v2)"
        error={errors.get('key')}
      >
        <input
          id="new-flag-key"
          value={key}
          autocomplete="off"
          onInput={(e: Event) => setKey(valueOf(e))}
          {...describedBy('new-flag-key', errors.get('key'), true)}
        />
      </Field>
      <Field id="new-flag-description" label="Description" error={errors.get('description')}>
        <input
          id="new-flag-description"
          value={description}
          onInput={(e: Event) => setDescription(valueOf(e))}
          {...describedBy('new-flag-description', errors.get('description'))}
        />
      </Field>
      <Field id="new-flag-tags" label="Tags" hint="comma-separated" error={errors.get('tags')}>
        <input
          id="new-flag-tags"
          value={tags}
          onInput={(e: Event) => setTags(valueOf(e))}
          {...describedBy('new-flag-tags', errors.get('tags'), true)}
        />
      </Field>
      <label class="check">
        <input
          id="new-flag-client-side"
          type="checkbox"
          checked={clientSide}
          onChange={(e: Event) => setClientSide((e.target as HTMLInputElement).checked)}
        />{' '}
        Visible to browsers (browser SDKs)
      </label>
      <FormError message={errors.get('')} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Create flag
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  )
}
