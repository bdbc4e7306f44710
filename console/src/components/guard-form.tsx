import { useMemo, useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import type { FlagState, StoredGuard } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { useDraft } from '../hooks/use-draft.ts'
import { fieldErrors, NO_ERRORS, type FieldErrors } from '../lib/field-errors.ts'
import { formatRate } from '../lib/format.ts'
import type { FlagChanges } from '../lib/own-changes.ts'
import { Confirm } from './confirm.tsx'
import { ConflictNotice } from './conflict-notice.tsx'
import { describedBy, Field, FormError, valueOf } from './field.tsx'

interface GuardDraft {
  maxErrorRate: string
  minExposures: string
  windowSeconds: string
  maxRatioToControl: string
  webhookUrl: string
}

const FIELDS = [
  'maxErrorRate',
  'minExposures',
  'windowSeconds',
  'maxRatioToControl',
  'webhookUrl',
] as const

const toDraft = (g: StoredGuard | null): GuardDraft => ({
  maxErrorRate: String(g?.maxErrorRate ?? 0.05),
  minExposures: String(g?.minExposures ?? 200),
  windowSeconds: String(g?.windowSeconds ?? 300),
  maxRatioToControl: g?.maxRatioToControl === undefined ? '' : String(g.maxRatioToControl),
  webhookUrl: g?.webhookUrl ?? '',
})

/** A number when the text is one; otherwise the text, so the API names the field. */
const numberOr = (text: string) =>
  text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text

function toBody(d: GuardDraft, version: number) {
  return {
    maxErrorRate: numberOr(d.maxErrorRate),
    minExposures: numberOr(d.minExposures),
    windowSeconds: numberOr(d.windowSeconds),
    ...(d.maxRatioToControl.trim() ? { maxRatioToControl: numberOr(d.maxRatioToControl) } : {}),
    ...(d.webhookUrl.trim() ? { webhookUrl: d.webhookUrl.trim() } : {}),
    version,
  }
}

const LABELS: Record<(typeof FIELDS)[number], { label: string; hint: string }> = {
  maxErrorRate: {
    label: 'Max error rate (0–1)',
    hint: 'the canary may fail at most this share of exposures',
  },
  minExposures: {
    label: 'Minimum canary exposures',
    hint: 'in the window, before the guard judges at all',
  },
  windowSeconds: {
    label: 'Window (seconds)',
    hint: '10–600; the guard looks at this much recent traffic',
  },
  maxRatioToControl: {
    label: 'Max ratio to control (optional)',
    hint: 'trip when the canary fails this many times as often as control',
  },
  webhookUrl: {
    label: 'Webhook URL (optional)',
    hint: 'called with the figures when the guard trips',
  },
}

/** The guard's settings: saved with the version they were edited from. */
export function GuardForm(props: { state: FlagState; changes: FlagChanges }) {
  const { api, env } = useApp()
  const { state } = props
  const saved = useMemo(() => toDraft(state.guard), [state.key, state.version])
  const draft = useDraft(saved, state.version, (base) => props.changes.follow(base, 'guard'))
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS)
  const [conflict, setConflict] = useState<string | undefined>(undefined)
  const [confirmRemove, setConfirmRemove] = useState(false)
  const [busy, setBusy] = useState(false)
  const path = `/api/v1/environments/${seg(env)}/flags/${seg(state.key)}/guard`
  const d = draft.value

  async function run(request: () => Promise<{ state: FlagState }>) {
    setBusy(true)
    try {
      const from = draft.base
      const result = await request()
      props.changes.saved(result.state, from, ['guard'])
      draft.discard()
      setErrors(NO_ERRORS)
      setConflict(undefined)
    } catch (e) {
      const failure = e as ApiError
      if (failure.status === 409 && failure.current) {
        setConflict(failure.message)
        props.changes.seen(failure.current as FlagState)
      } else setErrors(fieldErrors(failure.issues, FIELDS))
    } finally {
      setBusy(false)
    }
  }

  const input = (name: (typeof FIELDS)[number], type: 'text' | 'url' = 'text') => {
    const id = `guard-${name}`
    const error = errors.get(name)
    const hint =
      name === 'maxErrorRate' && Number.isFinite(Number(d.maxErrorRate))
        ? `${LABELS[name].hint} (= ${formatRate(Number(d.maxErrorRate))})`
        : LABELS[name].hint
    return (
      <Field id={id} label={LABELS[name].label} hint={hint} error={error}>
        <input
          id={id}
          type={type}
          inputmode={type === 'text' ? 'decimal' : undefined}
          autocomplete="off"
          value={d[name]}
          onInput={(e: Event) => draft.edit((x) => ({ ...x, [name]: valueOf(e) }))}
          {...describedBy(id, error, true)}
        />
      </Field>
    )
  }

  return (
    <form
      class="guard-form"
      noValidate
      aria-label="Guard settings"
      onSubmit={(e: Event) => {
        e.preventDefault()
        run(() => api('PUT', path, toBody(d, draft.base)))
      }}
    >
      <h3>Settings</h3>
      {draft.stale || conflict ? (
        <ConflictNotice
          current={state}
          base={draft.base}
          serverMessage={conflict}
          onDiscard={() => {
            draft.discard()
            setConflict(undefined)
          }}
          onKeep={() => {
            draft.rebase()
            setConflict(undefined)
          }}
        />
      ) : null}
      <div class="form-grid">
        {input('maxErrorRate')}
        {input('minExposures')}
        {input('windowSeconds')}
        {input('maxRatioToControl')}
        {input('webhookUrl', 'url')}
      </div>
      <FormError message={errors.get('')} />
      <div class="actions">
        <button
          type="submit"
          class="primary"
          disabled={busy || (state.guard !== null && !draft.editing)}
        >
          {state.guard ? 'Save guard' : 'Set guard'}
        </button>
        {state.guard ? (
          <button
            type="button"
            class="danger-text link"
            disabled={busy}
            onClick={() => setConfirmRemove(true)}
          >
            Remove guard
          </button>
        ) : null}
      </div>
      {confirmRemove ? (
        <Confirm
          id="guard-remove"
          danger
          message="Remove the guard? Nothing will switch this flag off automatically any more, and rollout plans stop advancing."
          confirmLabel="Yes, remove the guard"
          onCancel={() => setConfirmRemove(false)}
          onConfirm={() => {
            setConfirmRemove(false)
            run(() => api('DELETE', path))
          }}
        />
      ) : null}
    </form>
  )
}
