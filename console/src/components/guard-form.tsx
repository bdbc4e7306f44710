import * as shapes from '../../../api-shapes/index.ts'
import { useMemo, useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import type { EvidenceSource, FlagState, StoredGuard } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { useDraft } from '../hooks/use-draft.ts'
import { fieldErrors, NO_ERRORS, type FieldErrors } from '../lib/field-errors.ts'
import { formatRate } from '../lib/format.ts'
import type { FlagChanges } from '../lib/own-changes.ts'
import { Confirm } from './confirm.tsx'
import { DraftConflict, useConflict } from './conflict-notice.tsx'
import { describedBy, Field, FormError, valueOf } from './field.tsx'

interface GuardDraft {
  maxErrorRate: string
  minExposures: string
  windowSeconds: string
  maxRatioToControl: string
  slowerThanMs: string
  maxSlowRate: string
  maxSlowRatioToControl: string
  evidence: EvidenceSource
  webhookUrl: string
}

const FIELDS = [
  'maxErrorRate',
  'minExposures',
  'windowSeconds',
  'maxRatioToControl',
  'slowerThanMs',
  'maxSlowRate',
  'maxSlowRatioToControl',
  'evidence',
  'webhookUrl',
] as const

type TextField = Exclude<(typeof FIELDS)[number], 'evidence'>

const optional = (n: number | undefined) => (n === undefined ? '' : String(n))

const toDraft = (g: StoredGuard | null): GuardDraft => ({
  maxErrorRate: String(g?.maxErrorRate ?? 0.05),
  minExposures: optional(g?.minExposures),
  windowSeconds: optional(g?.windowSeconds),
  maxRatioToControl: optional(g?.maxRatioToControl),
  slowerThanMs: optional(g?.latency?.slowerThanMs),
  maxSlowRate: optional(g?.latency?.maxSlowRate),
  maxSlowRatioToControl: optional(g?.latency?.maxSlowRatioToControl),
  evidence: g?.evidence ?? 'all',
  webhookUrl: g?.webhookUrl ?? '',
})

/** A number when the text is one; otherwise the text, so the API names the field. */
const numberOr = (text: string) =>
  text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text

/** Empty optional fields are left out: the server's defaults apply. */
function toBody(d: GuardDraft, version: number) {
  const ifSet = (name: string, text: string) => (text.trim() ? { [name]: numberOr(text) } : {})
  return {
    maxErrorRate: numberOr(d.maxErrorRate),
    ...ifSet('minExposures', d.minExposures),
    ...ifSet('windowSeconds', d.windowSeconds),
    ...ifSet('maxRatioToControl', d.maxRatioToControl),
    // The latency rule only with its bound: the server names what is missing or wrong.
    ...(d.slowerThanMs.trim()
      ? {
          latency: {
            slowerThanMs: numberOr(d.slowerThanMs),
            ...ifSet('maxSlowRate', d.maxSlowRate),
            ...ifSet('maxSlowRatioToControl', d.maxSlowRatioToControl),
          },
        }
      : {}),
    evidence: d.evidence,
    ...(d.webhookUrl.trim() ? { webhookUrl: d.webhookUrl.trim() } : {}),
    version,
  }
}

/** Changing any of these starts the guard's evidence afresh (the server's `settingsKey`). */
const restartsEvidence = (a: GuardDraft, b: GuardDraft) =>
  (['maxErrorRate', 'minExposures', 'maxRatioToControl', 'slowerThanMs', 'maxSlowRate', 'maxSlowRatioToControl', 'evidence'] as const).some(
    (k) => a[k].trim() !== b[k].trim(),
  )

const LABELS: Record<TextField, { label: string; hint: string; placeholder?: string }> = {
  maxErrorRate: {
    label: 'Max error rate (0–1)',
    hint: 'the canary may fail at most this share of exposures',
  },
  minExposures: {
    label: 'Minimum canary exposures (optional)',
    hint: 'a floor: no trip before this many canary exposures since the start; the test itself needs none',
    placeholder: '0 (no floor)',
  },
  windowSeconds: {
    label: 'Shown span (seconds, optional)',
    hint: '10–600, default 60: the span of the "recent" rates shown here; not part of the test',
    placeholder: '60',
  },
  maxRatioToControl: {
    label: 'Max ratio to control (optional)',
    hint: 'trip when the canary fails more than this many times as often as control',
  },
  slowerThanMs: {
    label: 'Slow above (ms, optional)',
    hint: 'a request slower than this is slow: 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000 or 10000 (SDKs report durations with run or recordDuration)',
  },
  maxSlowRate: {
    label: 'Max slow share (optional)',
    hint: 'trip when more than this share (0–1) of timed canary requests is slow',
  },
  maxSlowRatioToControl: {
    label: 'Max slow ratio to control (optional)',
    hint: "trip when the canary's slow share is more than this many times control's",
  },
  webhookUrl: {
    label: 'Webhook URL (optional)',
    hint: 'called with the figures when the guard trips and when a plan holds',
  },
}

/** The guard's settings: saved with the version they were edited from. */
export function GuardForm(props: { state: FlagState; changes: FlagChanges }) {
  const { api, env, requestsChanged } = useApp()
  const { state } = props
  const [held, setHeld] = useState<string | undefined>(undefined)
  const saved = useMemo(() => toDraft(state.guard), [state.key, state.version])
  const draft = useDraft(saved, state.version, (base) => props.changes.follow(base, 'guard'))
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS)
  const conflict = useConflict(props.changes)
  const [confirmRemove, setConfirmRemove] = useState(false)
  const [busy, setBusy] = useState(false)
  const path = `/api/v1/environments/${seg(env)}/flags/${seg(state.key)}/guard`
  const d = draft.value

  /** A protected environment answers with the change request it made instead of the new state. */
  async function run(request: () => Promise<{ state: FlagState } | shapes.HeldWrite>) {
    setBusy(true)
    try {
      const from = draft.base
      const result = await request()
      if ('held' in result) {
        setHeld(`${shapes.heldText(result.request)}. Nothing changes until it is approved.`)
        requestsChanged()
      } else {
        setHeld(undefined)
        props.changes.saved(result.state, from, ['guard'])
      }
      draft.discard()
      setErrors(NO_ERRORS)
      conflict.clear()
    } catch (e) {
      const failure = e as ApiError
      if (!conflict.caught(failure)) setErrors(fieldErrors(failure.issues, FIELDS))
    } finally {
      setBusy(false)
    }
  }

  const input = (name: TextField, type: 'text' | 'url' = 'text') => {
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
          placeholder={LABELS[name].placeholder}
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
        run(() => api('PUT', path, shapes.guardSetAnswer, toBody(d, draft.base)))
      }}
    >
      <h3>Settings</h3>
      <DraftConflict state={state} draft={draft} conflict={conflict} onDiscard={draft.discard} />
      {held ? (
        <p class="notice" role="status" data-held-request>
          {held}
        </p>
      ) : null}
      <div class="form-grid">
        {input('maxErrorRate')}
        {input('minExposures')}
        {input('windowSeconds')}
        {input('maxRatioToControl')}
        {input('slowerThanMs')}
        {input('maxSlowRate')}
        {input('maxSlowRatioToControl')}
        <Field
          id="guard-evidence"
          label="Evidence"
          hint="browsers' reports are attributed by the server and count once per user; 'servers only' ignores them"
          error={errors.get('evidence')}
        >
          <select
            id="guard-evidence"
            value={d.evidence}
            onChange={(e: Event) =>
              draft.edit((x) => ({ ...x, evidence: valueOf(e) === 'server' ? 'server' : 'all' }))
            }
            {...describedBy('guard-evidence', errors.get('evidence'), true)}
          >
            <option value="all" selected={d.evidence === 'all'}>
              Servers and browsers
            </option>
            <option value="server" selected={d.evidence === 'server'}>
              Servers only (server keys)
            </option>
          </select>
        </Field>
        {input('webhookUrl', 'url')}
      </div>
      {state.guard && draft.editing && restartsEvidence(d, saved) ? (
        <p class="notice" data-restarts>
          Saving this starts the guard's evidence afresh: the counts since the start begin at zero.
        </p>
      ) : null}
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
            run(() => api('DELETE', path, shapes.guardRemovedAnswer))
          }}
        />
      ) : null}
    </form>
  )
}
