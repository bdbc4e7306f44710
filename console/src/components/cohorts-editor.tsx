import * as shapes from '../../../api-shapes/index.ts'
import { reshuffles, reshuffleWarning, type Reshuffle } from '../../../api-shapes/bucketing-words.ts'
import { cohortReach } from '../../../api-shapes/cohort-reach.ts'
import { percentProblem } from '../../../api-shapes/percent.ts'
import { useMemo, useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import type { FlagState, Metrics } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { useDraft } from '../hooks/use-draft.ts'
import { useSegments } from '../hooks/use-segments.ts'
import {
  cohortsEqual,
  createIds,
  rolloutOnlyChange,
  templateDraft,
  toCohort,
  toDraft,
  type CohortDraft,
  type CohortTemplate,
} from '../lib/cohort-draft.ts'
import { estimateAudience, exposuresLastHour } from '../lib/estimate.ts'
import { fieldErrors, NO_ERRORS, type FieldErrors } from '../lib/field-errors.ts'
import { CohortCard } from './cohort-card.tsx'
import { Confirm } from './confirm.tsx'
import { KNOWN_ATTRIBUTES } from './condition-row.tsx'
import { DraftConflict, useConflict } from './conflict-notice.tsx'
import { FormError } from './field.tsx'
import type { FlagChanges } from '../lib/own-changes.ts'
import { PendingChanges } from './pending-changes.tsx'

const TEMPLATES: ReadonlyArray<readonly [CohortTemplate, string]> = [
  ['beta', 'Beta users'],
  ['region', 'Region'],
  ['attribute', 'Attribute rule'],
  ['segment', 'Segment'],
  ['percentage', 'Percentage of everyone'],
]

/** Every API field path the editor shows, so each error lands next to its control. */
function shownFields(cohorts: CohortDraft[]): string[] {
  return [
    'cohorts',
    ...cohorts.flatMap((c, i) => [
      `cohorts.${i}`,
      `cohorts.${i}.name`,
      `cohorts.${i}.rollout`,
      `cohorts.${i}.conditions`,
      ...c.conditions.flatMap((_, j) =>
        ['attribute', 'operator', 'values', 'segment'].map(
          (f) => `cohorts.${i}.conditions.${j}.${f}`,
        ),
      ),
    ]),
  ]
}

/**
 * The cohorts of a flag: add beta users, regions, attribute rules and segments, set
 * percentages, see what a change reaches, then save it in one request with the version the
 * edits started from.
 */
export function CohortsEditor(props: {
  state: FlagState
  metrics: Metrics | null
  changes: FlagChanges
}) {
  const { api, env, requestsChanged } = useApp()
  const [held, setHeld] = useState<string | undefined>(undefined)
  const { state } = props
  const newId = useMemo(() => createIds('c'), [])
  const saved = useMemo(
    () => state.cohorts.map((c) => toDraft(c, newId)),
    [state.key, state.version],
  )
  const draft = useDraft(saved, state.version, (base) => props.changes.follow(base, 'cohorts'))
  const { segments } = useSegments()
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS)
  const conflict = useConflict(props.changes)
  const [busy, setBusy] = useState(false)

  const cohorts = draft.value
  const next = cohorts.map(toCohort)
  // Rollouts of one flag nest (one salt): what the other cohorts, as edited, already give each.
  const reach = cohortReach(next.map((c) => ({ ...c, rollout: typeof c.rollout === 'number' ? c.rollout : 0 })))
  const exposures = props.metrics ? exposuresLastHour(props.metrics.minutes, Date.now()) : 0
  const change = (fn: (list: CohortDraft[]) => CohortDraft[]) => draft.edit(fn)
  const changed = draft.editing && !cohortsEqual(state.cohorts, next)

  /** Cohorts whose bucketing this save changes: asked about first (it reshuffles their users). */
  const [reshuffleAsk, setReshuffleAsk] = useState<Reshuffle[]>([])

  async function save(event: Event) {
    event.preventDefault()
    const moved = reshuffles(state.cohorts, next)
    if (moved.length > 0) return setReshuffleAsk(moved)
    await send(false)
  }

  async function send(reshuffle: boolean) {
    setReshuffleAsk([])
    const only = rolloutOnlyChange(state.cohorts, next)
    const path = `/api/v1/environments/${seg(env)}/flags/${seg(state.key)}`
    setBusy(true)
    try {
      const result = only
        ? await api('PUT', `${path}/cohorts/${seg(only.cohort)}/rollout`, shapes.stateAnswer, {
            rollout: only.rollout,
            version: draft.base,
          })
        : await api('PATCH', path, shapes.stateAnswer, { cohorts: next, version: draft.base, ...(reshuffle ? { reshuffle } : {}) })
      if ('held' in result) {
        // A protected environment made a change request of it: the banner above shows it.
        setHeld(`${shapes.heldText(result.request)}. Nothing changes until it is approved.`)
        requestsChanged()
      } else {
        setHeld(undefined)
        props.changes.saved(result, draft.base, ['cohorts'])
      }
      draft.discard()
      setErrors(NO_ERRORS)
      conflict.clear()
    } catch (e) {
      const failure = e as ApiError
      if (!conflict.caught(failure)) {
        // The rollout endpoint names its field `rollout`; the form shows it per cohort.
        const rename = (f: string) =>
          only && f === 'rollout' ? `cohorts.${only.index}.rollout` : f
        setErrors(fieldErrors(failure.issues, shownFields(cohorts), rename))
      }
    } finally {
      setBusy(false)
    }
  }

  const discard = () => {
    draft.discard()
    setErrors(NO_ERRORS)
    conflict.clear()
  }

  return (
    <section class="cohorts card" aria-labelledby="cohorts-heading">
      <h2 id="cohorts-heading">Cohorts</h2>
      <p class="muted">
        A user gets the flag when it is on, they meet every condition of a cohort, and they fall
        inside its percentage. Widening keeps everyone who was already in.
      </p>
      <DraftConflict state={state} draft={draft} conflict={conflict} onDiscard={discard} />
      {held ? (
        <p class="notice" role="status" data-held>
          {held}
        </p>
      ) : null}
      <datalist id="known-attributes">
        {KNOWN_ATTRIBUTES.map((a) => (
          <option value={a} />
        ))}
      </datalist>
      <form onSubmit={save} noValidate aria-label="Cohorts">
        <FormError message={errors.get('cohorts')} />
        {cohorts.length === 0 ? (
          <p class="empty">No cohorts: nobody gets this flag, even when it is on.</p>
        ) : null}
        {cohorts.map((cohort, i) => {
          // Out of range: no estimate of "150% of them" (the field says what is wrong).
          const rollout =
            typeof next[i]!.rollout === 'number' && percentProblem(cohort.rolloutText) === undefined
              ? (next[i]!.rollout as number)
              : Number.NaN
          const estimate = estimateAudience({
            oldRollout: cohort.origin?.rollout ?? null,
            newRollout: rollout,
            covered: reach[i]?.covered ?? 0,
            exposures,
            sameConditions:
              JSON.stringify(cohort.origin?.conditions) === JSON.stringify(next[i]!.conditions),
          })
          return (
            <CohortCard
              key={cohort.id}
              index={i}
              count={cohorts.length}
              cohort={cohort}
              segments={segments}
              errors={errors}
              estimate={Number.isNaN(rollout) ? { kind: 'same' } : estimate}
              rollout={rollout}
              reach={reach[i]}
              newId={newId}
              onChange={(c) => change((list) => list.map((x, j) => (j === i ? c : x)))}
              onRemove={() => change((list) => list.filter((_, j) => j !== i))}
              onMove={(by) =>
                change((list) => {
                  const copy = [...list]
                  const [moved] = copy.splice(i, 1)
                  copy.splice(i + by, 0, moved!)
                  return copy
                })
              }
            />
          )
        })}
        <div class="add-cohort" role="group" aria-label="Add a cohort">
          <span>Add a cohort:</span>
          {TEMPLATES.map(([template, label]) => (
            <button
              type="button"
              onClick={() =>
                change((list) => [
                  ...list,
                  templateDraft(
                    template,
                    list.map((c) => c.name),
                    newId,
                    segments?.[0]?.key,
                  ),
                ])
              }
            >
              {label}
            </button>
          ))}
        </div>
        {changed ? <PendingChanges saved={state.cohorts} next={next} /> : null}
        <FormError message={errors.get('')} />
        {reshuffleAsk.length > 0 ? (
          <Confirm
            id="reshuffle"
            message={`Save? Moving cohorts to another bucketing is not a widening: ${reshuffleWarning(reshuffleAsk)}.`}
            confirmLabel="Save and reshuffle"
            danger
            onConfirm={() => void send(true)}
            onCancel={() => setReshuffleAsk([])}
          />
        ) : null}
        <div class="actions sticky-actions">
          <button type="submit" class="primary" disabled={busy || !changed}>
            {busy ? 'Saving…' : 'Save cohorts'}
          </button>
          <button type="button" disabled={!draft.editing} onClick={discard}>
            Discard edits
          </button>
        </div>
      </form>
    </section>
  )
}
