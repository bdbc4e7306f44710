import { percentProblem } from '../../../api-shapes/percent.ts'
import type { CohortReach } from '../../../api-shapes/cohort-reach.ts'
import type { Segment } from '../api/types.ts'
import type { CohortDraft, ConditionDraft } from '../lib/cohort-draft.ts'
import type { AudienceEstimate } from '../lib/estimate.ts'
import type { FieldErrors } from '../lib/field-errors.ts'
import { AudienceNote } from './audience-note.tsx'
import { BucketingNote } from './bucketing-note.tsx'
import { ConditionRow } from './condition-row.tsx'
import { describedBy, Field, FormError, valueOf } from './field.tsx'
import { RolloutInput } from './rollout-input.tsx'

/** A typed percentage out of range, said as the CLI says it while it is typed (empty text waits for Save). */
const rolloutProblem = (text: string) => (text.trim() === '' ? undefined : percentProblem(text))

/** One cohort: its name, who it matches, its percentage and what a change there reaches. */
export function CohortCard(props: {
  index: number
  count: number
  cohort: CohortDraft
  segments: Segment[] | null
  errors: FieldErrors
  estimate: AudienceEstimate
  rollout: number
  /** What the flag's other cohorts (as edited) already give this cohort's audience. */
  reach: CohortReach | undefined
  newId: () => string
  onChange: (next: CohortDraft) => void
  onRemove: () => void
  onMove: (by: -1 | 1) => void
}) {
  const { index: i, cohort: c, errors } = props
  const id = `cohort-${i}`
  const field = `cohorts.${i}`
  const setConditions = (conditions: ConditionDraft[]) => props.onChange({ ...c, conditions })
  const addCondition = (kind: 'attribute' | 'segment') =>
    setConditions([
      ...c.conditions,
      kind === 'segment'
        ? { id: props.newId(), kind, segment: props.segments?.[0]?.key ?? '', negate: false }
        : {
            id: props.newId(),
            kind,
            attribute: '',
            operator: 'in',
            valuesText: '',
            negate: false,
            caseInsensitive: false,
          },
    ])

  return (
    <fieldset class="cohort card" data-cohort={c.name}>
      <legend>
        Cohort {i + 1}: {c.name || '(unnamed)'}
      </legend>
      <FormError message={errors.get(field)} />
      <Field id={`${id}-name`} label="Name" error={errors.get(`${field}.name`)}>
        <input
          id={`${id}-name`}
          value={c.name}
          autocomplete="off"
          onInput={(e: Event) => props.onChange({ ...c, name: valueOf(e) })}
          {...describedBy(`${id}-name`, errors.get(`${field}.name`))}
        />
      </Field>
      <div class="conditions">
        <h3>Who</h3>
        {c.conditions.length === 0 ? (
          <p class="muted">Everyone (no conditions).</p>
        ) : (
          <p class="muted">Users who meet all of:</p>
        )}
        <FormError message={errors.get(`${field}.conditions`)} />
        {c.conditions.map((cond, j) => (
          <ConditionRow
            key={cond.id}
            id={`${id}-cond-${j}`}
            field={`${field}.conditions.${j}`}
            index={j}
            condition={cond}
            segments={props.segments}
            errors={errors}
            onChange={(next) => setConditions(c.conditions.map((x, k) => (k === j ? next : x)))}
            onRemove={() => setConditions(c.conditions.filter((_, k) => k !== j))}
          />
        ))}
        <div class="actions">
          <button type="button" onClick={() => addCondition('attribute')}>
            Add attribute condition
          </button>
          <button type="button" onClick={() => addCondition('segment')}>
            Add segment
          </button>
        </div>
      </div>
      <BucketingNote cohort={c} onChange={props.onChange} />
      <RolloutInput
        id={`${id}-rollout`}
        cohortName={c.name}
        text={c.rolloutText}
        error={rolloutProblem(c.rolloutText) ?? errors.get(`${field}.rollout`)}
        onChange={(rolloutText) => props.onChange({ ...c, rolloutText })}
      />
      <AudienceNote
        estimate={props.estimate}
        from={c.origin?.rollout ?? null}
        to={props.rollout}
        reach={props.reach}
        cohort={c.origin ?? undefined}
      />
      <div class="actions cohort-actions">
        <button type="button" disabled={i === 0} onClick={() => props.onMove(-1)}>
          Move up
        </button>
        <button type="button" disabled={i === props.count - 1} onClick={() => props.onMove(1)}>
          Move down
        </button>
        <button type="button" class="danger-text link" onClick={props.onRemove}>
          Remove cohort {c.name}
        </button>
      </div>
    </fieldset>
  )
}
