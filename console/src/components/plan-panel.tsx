import * as shapes from '../../../api-shapes/index.ts'
import { RULE_WORDS } from '../../../api-shapes/audit-words.ts'
import { useMemo, useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import {
  LIVE_PLAN_STATUSES,
  type FlagState,
  type Plan,
  type PlanPreview,
  type PlanProgress,
} from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { useDraft } from '../hooks/use-draft.ts'
import { newerState } from '../lib/conflict.ts'
import { planEvidenceWords } from '../lib/evidence.ts'
import { fieldErrors, NO_ERRORS, type FieldErrors } from '../lib/field-errors.ts'
import {
  formatDuration,
  formatPercent,
  formatRelative,
  formatTime,
} from '../lib/format.ts'
import type { FlagChanges, Part } from '../lib/own-changes.ts'
import { previewWords } from '../lib/plan-text.ts'
import { Confirm } from './confirm.tsx'
import { planDrift } from '../../../api-shapes/plan-drift.ts'
import { describedBy, Field, FormError, valueOf } from './field.tsx'

const numberOr = (text: string) =>
  text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text

const FIELDS = ['cohort', 'steps', 'intervalSeconds', 'maxWaitSeconds'] as const

/** Statuses whose note, when there is one, is still the start's summary (a step or a resume clears it). */
const STARTED = new Set<Plan['status']>(['active', 'paused'])

/** Where the plan stands: steps, what it waits for, and when it moves or holds. */
function PlanStatus(props: { plan: Plan; progress: PlanProgress | null; cohorts: ReadonlyArray<{ name: string; rollout: number }> }) {
  const { plan, progress } = props
  const drift = planDrift(plan, props.cohorts)
  const now = Date.now()
  const next = plan.steps[plan.step + 1]
  // The evidence belongs to the step shown, not to one before it.
  const evidence = progress?.evidence?.step === plan.step ? progress.evidence : null
  const waiting = plan.status === 'active' && progress?.waitingForEvidence === true
  return (
    <div class="plan-status">
      <p>
        Widening cohort <strong>{plan.cohort}</strong>: step {plan.step + 1} of {plan.steps.length}{' '}
        ({formatPercent(plan.steps[plan.step] ?? 0)}),{' '}
        <span class={`badge plan-${plan.status}`}>{plan.status}</span>
      </p>
      {drift ? (
        <p class="notice" data-plan-drift role="status">
          No longer what the cohort holds: {drift}.
        </p>
      ) : null}
      <ol class="steps" aria-label="Steps">
        {plan.steps.map((s, i) => (
          <li
            class={i < plan.step ? 'done' : i === plan.step ? 'current' : ''}
            aria-current={i === plan.step ? 'step' : undefined}
          >
            {formatPercent(s)}
          </li>
        ))}
      </ol>
      {plan.skipped?.length ? (
        <p class="muted" data-skipped>
          Skipped {plan.skipped.map(formatPercent).join(', ')}: the cohort was already at or above
          them when the plan started.
        </p>
      ) : null}
      {waiting && next !== undefined ? (
        <div class="notice" data-waiting role="status">
          <p>
            <strong>Waiting for evidence.</strong> The next step ({formatPercent(next)}) is due, but
            the canary's error rate is not yet shown below the limit.
          </p>
          {evidence ? <p data-plan-evidence>{planEvidenceWords(evidence)}.</p> : null}
          {progress?.holdsAt ? (
            <p>
              The plan holds at {formatTime(progress.holdsAt)} (
              {formatRelative(progress.holdsAt, now)}) if the evidence does not come.
            </p>
          ) : null}
        </div>
      ) : plan.status === 'active' && plan.nextAt && next !== undefined ? (
        <p>
          Next step: {formatPercent(next)}, due {formatTime(plan.nextAt)} (
          {formatRelative(plan.nextAt, now)}), once the evidence shows the error rate is below the
          limit.
          {evidence ? <span data-plan-evidence> So far: {planEvidenceWords(evidence)}.</span> : null}
        </p>
      ) : null}
      {plan.status === 'held' ? (
        <p class="notice" data-held role="status">
          <strong>Held:</strong>{' '}
          {plan.note?.replace(/^held: /, '') ?? 'the evidence did not come in time.'} Resume it to
          wait again, or cancel it.
        </p>
      ) : plan.note &&
        !(plan.skipped?.length && plan.note.startsWith('skipped ')) &&
        !(drift && STARTED.has(plan.status)) ? (
        // (The start's note repeats the skipped steps, shown above; once the cohort moved, its
        // "stays at 1%" is no longer true and the drift notice above says what is.)
        <p class="notice" data-plan-note>
          {ruleWords(plan.note)}
        </p>
      ) : null}
      <p class="muted">
        Started {formatTime(plan.startedAt)}, one step every {formatDuration(plan.intervalSeconds)}{' '}
        at the earliest; a due step waits at most{' '}
        {formatDuration(plan.maxWaitSeconds ?? 3600)} for evidence before the plan holds.
      </p>
    </div>
  )
}

/** The body the form would send, or null while it is unchanged from a preview. */
function bodyOf(d: { cohort: string; steps: string; intervalSeconds: string; maxWaitSeconds: string }) {
  return {
    cohort: d.cohort,
    steps: d.steps
      .split(/[\s,;]+/)
      .filter(Boolean)
      .map(numberOr),
    intervalSeconds: numberOr(d.intervalSeconds),
    ...(d.maxWaitSeconds.trim() ? { maxWaitSeconds: numberOr(d.maxWaitSeconds) } : {}),
  }
}

/**
 * A rollout plan: start one (after a preview of what it will do), see where it is and what it
 * waits for, pause, resume (also a held plan), cancel.
 */
export function PlanPanel(props: {
  state: FlagState
  progress: PlanProgress | null
  changes: FlagChanges
}) {
  const { api, env, requestsChanged } = useApp()
  const { state } = props
  const [heldRequest, setHeldRequest] = useState<string | undefined>(undefined)
  const path = `/api/v1/environments/${seg(env)}/flags/${seg(state.key)}/plan`
  const plan = state.plan
  const live = plan !== null && LIVE_PLAN_STATUSES.has(plan.status)
  const saved = useMemo(
    () => ({
      cohort: state.cohorts.at(-1)?.name ?? '',
      steps: '1, 5, 25, 50, 100',
      intervalSeconds: '3600',
      maxWaitSeconds: '',
    }),
    [state.key, state.version],
  )
  const draft = useDraft(saved, state.version, (base) => props.changes.follow(base, 'plan'))
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS)
  const [busy, setBusy] = useState(false)
  const [showForm, setShowForm] = useState(false)
  /** The answer of the preview and the body and version it was made for. */
  const [preview, setPreview] = useState<{
    key: string
    body: ReturnType<typeof bodyOf>
    version: number
    result: PlanPreview
  } | null>(null)
  const d = draft.value
  const body = bodyOf(d)
  /** Any edit drops the preview: it described the plan before the edit. */
  const edit = (change: Parameters<typeof draft.edit>[0]) => {
    setPreview(null)
    draft.edit(change)
  }
  // Edits after the preview make it stale: it is shown only for the body it described.
  const shownPreview = preview && preview.key === JSON.stringify(body) ? preview : null

  function fail(e: unknown) {
    const failure = e as ApiError
    const current = newerState(failure)
    if (current) props.changes.seen(current)
    setErrors(fieldErrors(failure.issues, FIELDS))
  }

  /** `from`: the version the request was based on; starting a plan also sets a rollout. */
  async function run(request: () => Promise<FlagState | shapes.HeldWrite>, from: number, touched: Part[]) {
    setBusy(true)
    try {
      const next = await request()
      // A protected environment made a change request of it: the banner above shows it.
      if ('held' in next) {
        setHeldRequest(`${shapes.heldText(next.request)}. Nothing changes until it is approved.`)
        requestsChanged()
      } else {
        setHeldRequest(undefined)
        props.changes.saved(next, from, touched)
      }
      draft.discard()
      setErrors(NO_ERRORS)
      setPreview(null)
      setShowForm(false)
    } catch (e) {
      fail(e)
    } finally {
      setBusy(false)
    }
  }

  /** First step: ask the server what this plan would do; nothing changes yet. */
  async function askPreview(event: Event) {
    event.preventDefault()
    setBusy(true)
    const version = draft.base
    try {
      const result = await api('POST', `${path}/preview`, shapes.planPreview, body)
      setPreview({ key: JSON.stringify(body), body, version, result })
      setErrors(NO_ERRORS)
    } catch (e) {
      setPreview(null)
      fail(e)
    } finally {
      setBusy(false)
    }
  }

  /** Second step, after the person read the preview: start (replacing only when they agreed). */
  function confirmStart() {
    if (!shownPreview) return
    const { body: sent, version, result } = shownPreview
    setPreview(null)
    run(
      () =>
        api('PUT', path, shapes.stateAnswer, {
          ...sent,
          ...(result.replaces ? { replace: true } : {}),
          version,
        }),
      version,
      ['plan', 'cohorts'],
    )
  }

  const words = shownPreview ? previewWords(shownPreview.result) : null
  const formShown = !live || showForm

  return (
    <section class="plan card" aria-labelledby="plan-heading">
      <h2 id="plan-heading">Rollout plan</h2>
      {heldRequest ? (
        <p class="notice" role="status" data-held-request>
          {heldRequest}
        </p>
      ) : null}
      {plan ? (
        <PlanStatus plan={plan} progress={props.progress} cohorts={state.cohorts} />
      ) : (
        <p class="muted">
          No plan. A plan widens one cohort step by step, each step only once the guard's evidence
          shows the error rate is below its limit.
        </p>
      )}
      {live ? (
        <div class="actions">
          {plan?.status === 'active' ? (
            <button
              type="button"
              disabled={busy}
              onClick={() => run(() => api('POST', `${path}/pause`, shapes.flagState), state.version, ['plan'])}
            >
              Pause plan
            </button>
          ) : (
            <button
              type="button"
              disabled={busy}
              onClick={() => run(() => api('POST', `${path}/resume`, shapes.stateAnswer), state.version, ['plan'])}
            >
              Resume plan
            </button>
          )}
          <button
            type="button"
            class="danger-text link"
            disabled={busy}
            onClick={() => run(() => api('POST', `${path}/cancel`, shapes.flagState), state.version, ['plan'])}
          >
            Cancel plan
          </button>
          {showForm ? null : (
            <button type="button" class="link" onClick={() => setShowForm(true)}>
              Replace with a new plan…
            </button>
          )}
        </div>
      ) : null}
      {formShown ? (
        <form onSubmit={askPreview} noValidate aria-label="New rollout plan">
          <h3>{live ? 'Replace with a new plan' : plan ? 'Start a new plan' : 'Start a plan'}</h3>
          <div class="form-grid">
            <Field id="plan-cohort" label="Cohort" error={errors.get('cohort')}>
              <select
                id="plan-cohort"
                value={d.cohort}
                onChange={(e: Event) => edit((x) => ({ ...x, cohort: valueOf(e) }))}
                {...describedBy('plan-cohort', errors.get('cohort'))}
              >
                {state.cohorts.length === 0 ? <option value="">No cohorts yet</option> : null}
                {state.cohorts.map((c) => (
                  <option value={c.name} selected={c.name === d.cohort}>
                    {c.name} (now {formatPercent(c.rollout)})
                  </option>
                ))}
              </select>
            </Field>
            <Field
              id="plan-steps"
              label="Steps (%)"
              hint="increasing, comma-separated; steps at or below the cohort's rollout are skipped"
              error={errors.get('steps')}
            >
              <input
                id="plan-steps"
                value={d.steps}
                onInput={(e: Event) => edit((x) => ({ ...x, steps: valueOf(e) }))}
                {...describedBy('plan-steps', errors.get('steps'), true)}
              />
            </Field>
            <Field
              id="plan-interval"
              label="Interval between steps (seconds)"
              error={errors.get('intervalSeconds')}
            >
              <input
                id="plan-interval"
                inputmode="numeric"
                value={d.intervalSeconds}
                onInput={(e: Event) => edit((x) => ({ ...x, intervalSeconds: valueOf(e) }))}
                {...describedBy('plan-interval', errors.get('intervalSeconds'))}
              />
            </Field>
            <Field
              id="plan-max-wait"
              label="Longest wait for evidence (seconds, optional)"
              hint="a due step without evidence waits this long, then the plan holds and calls the webhook (default 3600)"
              error={errors.get('maxWaitSeconds')}
            >
              <input
                id="plan-max-wait"
                inputmode="numeric"
                placeholder="3600"
                value={d.maxWaitSeconds}
                onInput={(e: Event) => edit((x) => ({ ...x, maxWaitSeconds: valueOf(e) }))}
                {...describedBy('plan-max-wait', errors.get('maxWaitSeconds'), true)}
              />
            </Field>
          </div>
          <FormError message={errors.get('')} />
          <div class="actions">
            <button
              type="submit"
              class="primary"
              disabled={busy || state.cohorts.length === 0 || shownPreview !== null}
            >
              Start plan
            </button>
            {live ? (
              <button
                type="button"
                onClick={() => {
                  setShowForm(false)
                  setPreview(null)
                }}
              >
                Keep the current plan
              </button>
            ) : null}
          </div>
          {shownPreview && words ? (
            <Confirm
              id="plan-preview"
              danger={shownPreview.result.replaces !== null}
              message={words.nothing ?? 'Starting this plan will:'}
              noConfirm={words.runs === null}
              cancelLabel={words.runs === null ? 'Close' : 'Cancel'}
              confirmLabel={words.confirm}
              onCancel={() => setPreview(null)}
              onConfirm={confirmStart}
            >
              {words.runs || words.skipped || words.replaces ? (
                <ul class="plan-preview">
                  {words.replaces ? <li data-replaces>{words.replaces}</li> : null}
                  {words.runs ? <li data-runs>{words.runs}</li> : null}
                  {words.skipped ? <li data-skipped>{words.skipped}</li> : null}
                </ul>
              ) : null}
            </Confirm>
          ) : null}
        </form>
      ) : null}
      {formShown ? null : <FormError message={errors.get('')} />}
    </section>
  )
}

/** A plan's note with rule names in words ("guard tripped (error rate over the limit)"). */
const ruleWords = (note: string) =>
  note.replace(/max_error_rate|max_ratio_to_control/g, (rule) => RULE_WORDS[rule] ?? rule)
