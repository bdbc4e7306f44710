import { useMemo, useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import type { FlagState, Plan } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { useDraft } from '../hooks/use-draft.ts'
import { fieldErrors, NO_ERRORS, type FieldErrors } from '../lib/field-errors.ts'
import { formatPercent, formatRelative, formatTime } from '../lib/format.ts'
import type { FlagChanges, Part } from '../lib/own-changes.ts'
import { describedBy, Field, FormError, valueOf } from './field.tsx'

const numberOr = (text: string) =>
  text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text

function PlanStatus(props: { plan: Plan }) {
  const { plan } = props
  const now = Date.now()
  return (
    <div class="plan-status">
      <p>
        Widening cohort <strong>{plan.cohort}</strong>: step {plan.step + 1} of {plan.steps.length}{' '}
        ({formatPercent(plan.steps[plan.step] ?? 0)}),{' '}
        <span class={`badge plan-${plan.status}`}>{plan.status}</span>
      </p>
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
      {plan.status === 'active' && plan.nextAt ? (
        <p>
          Next step due {formatTime(plan.nextAt)} ({formatRelative(plan.nextAt, now)}), if the guard
          is healthy and has enough data.
        </p>
      ) : null}
      {plan.note ? <p class="notice">{plan.note}</p> : null}
      <p class="muted">
        Started {formatTime(plan.startedAt)}, one step every {plan.intervalSeconds} s.
      </p>
    </div>
  )
}

/** A rollout plan: start one, see where it is and when it moves next, pause, resume, cancel. */
export function PlanPanel(props: { state: FlagState; changes: FlagChanges }) {
  const { api, env } = useApp()
  const { state } = props
  const path = `/api/v1/environments/${seg(env)}/flags/${seg(state.key)}/plan`
  const plan = state.plan
  const running = plan?.status === 'active' || plan?.status === 'paused'
  const saved = useMemo(
    () => ({
      cohort: state.cohorts.at(-1)?.name ?? '',
      steps: '1, 5, 25, 50, 100',
      intervalSeconds: '3600',
    }),
    [state.key, state.version],
  )
  const draft = useDraft(saved, state.version, (base) => props.changes.follow(base, 'plan'))
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS)
  const [busy, setBusy] = useState(false)
  const d = draft.value

  /** `from`: the version the request was based on; starting a plan also sets a rollout. */
  async function run(request: () => Promise<FlagState>, from: number, touched: Part[]) {
    setBusy(true)
    try {
      const next = await request()
      props.changes.saved(next, from, touched)
      draft.discard()
      setErrors(NO_ERRORS)
    } catch (e) {
      const failure = e as ApiError
      if (failure.status === 409 && failure.current)
        props.changes.seen(failure.current as FlagState)
      setErrors(fieldErrors(failure.issues, ['cohort', 'steps', 'intervalSeconds']))
    } finally {
      setBusy(false)
    }
  }

  const start = (event: Event) => {
    event.preventDefault()
    const steps = d.steps
      .split(/[\s,;]+/)
      .filter(Boolean)
      .map(numberOr)
    run(
      () =>
        api('PUT', path, {
          cohort: d.cohort,
          steps,
          intervalSeconds: numberOr(d.intervalSeconds),
          version: draft.base,
        }),
      draft.base,
      ['plan', 'cohorts'],
    )
  }

  return (
    <section class="plan card" aria-labelledby="plan-heading">
      <h2 id="plan-heading">Rollout plan</h2>
      {plan ? (
        <PlanStatus plan={plan} />
      ) : (
        <p class="muted">
          No plan. A plan widens one cohort step by step, only while the guard is healthy.
        </p>
      )}
      {running ? (
        <div class="actions">
          {plan?.status === 'active' ? (
            <button
              type="button"
              disabled={busy}
              onClick={() => run(() => api('POST', `${path}/pause`), state.version, ['plan'])}
            >
              Pause plan
            </button>
          ) : (
            <button
              type="button"
              disabled={busy}
              onClick={() => run(() => api('POST', `${path}/resume`), state.version, ['plan'])}
            >
              Resume plan
            </button>
          )}
          <button
            type="button"
            class="danger-text link"
            disabled={busy}
            onClick={() => run(() => api('POST', `${path}/cancel`), state.version, ['plan'])}
          >
            Cancel plan
          </button>
        </div>
      ) : (
        <form onSubmit={start} noValidate aria-label="New rollout plan">
          <h3>{plan ? 'Start a new plan' : 'Start a plan'}</h3>
          <div class="form-grid">
            <Field id="plan-cohort" label="Cohort" error={errors.get('cohort')}>
              <select
                id="plan-cohort"
                value={d.cohort}
                onChange={(e: Event) => draft.edit((x) => ({ ...x, cohort: valueOf(e) }))}
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
              hint="increasing, comma-separated"
              error={errors.get('steps')}
            >
              <input
                id="plan-steps"
                value={d.steps}
                onInput={(e: Event) => draft.edit((x) => ({ ...x, steps: valueOf(e) }))}
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
                onInput={(e: Event) => draft.edit((x) => ({ ...x, intervalSeconds: valueOf(e) }))}
                {...describedBy('plan-interval', errors.get('intervalSeconds'))}
              />
            </Field>
          </div>
          <FormError message={errors.get('')} />
          <button type="submit" class="primary" disabled={busy || state.cohorts.length === 0}>
            Start plan
          </button>
        </form>
      )}
      {running ? <FormError message={errors.get('')} /> : null}
    </section>
  )
}
