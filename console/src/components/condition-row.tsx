import type { Operator } from '../../../sdk/core/types.ts'
import type { Segment } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { OPERATORS, splitValues, type ConditionDraft } from '../lib/cohort-draft.ts'
import type { FieldErrors } from '../lib/field-errors.ts'
import { checkedOf, describedBy, Field, valueOf } from './field.tsx'

/** Attributes most apps send; any other name can be typed. */
export const KNOWN_ATTRIBUTES = [
  'userId',
  'region',
  'country',
  'email',
  'appVersion',
  'plan',
  'platform',
]

const VALUE_HINTS: Partial<Record<Operator, string>> = {
  matches: 'one regular expression per line',
  before: 'ISO dates, e.g. 2026-01-31T00:00:00Z',
  after: 'ISO dates, e.g. 2026-01-31T00:00:00Z',
  semver_eq: 'versions like 2.4.0',
  semver_lt: 'versions like 2.4.0',
  semver_gt: 'versions like 2.4.0',
}

/**
 * One condition of a cohort: attribute, operator and values (paste a list: one per line), or a
 * segment with a link to edit it. `field` is its API path (`cohorts.1.conditions.0`).
 */
export function ConditionRow(props: {
  id: string
  field: string
  index: number
  condition: ConditionDraft
  segments: Segment[] | null
  errors: FieldErrors
  onChange: (next: ConditionDraft) => void
  onRemove: () => void
}) {
  const { link } = useApp()
  const { id, field, condition: c, errors } = props
  const error = (name: string) => errors.get(`${field}.${name}`)
  const negate = (
    <label class="check">
      <input
        type="checkbox"
        id={`${id}-negate`}
        checked={c.negate}
        onChange={(e: Event) => props.onChange({ ...c, negate: checkedOf(e) })}
      />{' '}
      Not (holds when this does not)
    </label>
  )
  const remove = (
    <button type="button" class="link danger-text" onClick={props.onRemove}>
      Remove condition {props.index + 1}
    </button>
  )

  if (c.kind === 'segment') {
    const list = props.segments ?? []
    return (
      <div class="condition" role="group" aria-label={`Condition ${props.index + 1}: segment`}>
        <Field id={`${id}-segment`} label="Segment" error={error('segment')}>
          <select
            id={`${id}-segment`}
            value={c.segment}
            onChange={(e: Event) => props.onChange({ ...c, segment: valueOf(e) })}
            {...describedBy(`${id}-segment`, error('segment'))}
          >
            <option value="" selected={c.segment === ''}>
              Pick a segment…
            </option>
            {list.map((s) => (
              <option value={s.key} selected={s.key === c.segment}>
                {s.key} ({s.userIds.length} users
                {s.conditions.length ? `, ${s.conditions.length} conditions` : ''})
              </option>
            ))}
          </select>
        </Field>
        {negate}
        <p class="condition-links">
          {c.segment ? (
            <a href={link({ page: 'segment', key: c.segment })}>Edit segment {c.segment}</a>
          ) : null}{' '}
          {list.length === 0 ? (
            <a href={link({ page: 'segment', key: null })}>Create a segment</a>
          ) : null}
        </p>
        {remove}
      </div>
    )
  }

  const count = splitValues(c.valuesText, c.operator).length
  const isUsers = c.attribute === 'userId'
  return (
    <div
      class="condition"
      role="group"
      aria-label={`Condition ${props.index + 1}: ${c.attribute || 'attribute'}`}
    >
      <div class="condition-head">
        <Field id={`${id}-attribute`} label="Attribute" error={error('attribute')}>
          <input
            id={`${id}-attribute`}
            list="known-attributes"
            autocomplete="off"
            value={c.attribute}
            onInput={(e: Event) => props.onChange({ ...c, attribute: valueOf(e) })}
            {...describedBy(`${id}-attribute`, error('attribute'))}
          />
        </Field>
        <Field id={`${id}-operator`} label="Operator" error={error('operator')}>
          <select
            id={`${id}-operator`}
            value={c.operator}
            onChange={(e: Event) =>
              props.onChange({ ...c, operator: valueOf(e) as typeof c.operator })
            }
            {...describedBy(`${id}-operator`, error('operator'))}
          >
            {OPERATORS.map((op) => (
              <option value={op} selected={op === c.operator}>
                {op.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {c.operator === 'exists' ? null : (
        <Field
          id={`${id}-values`}
          label={isUsers ? 'User ids' : 'Values'}
          hint={`${VALUE_HINTS[c.operator] ?? 'one per line — paste a list; commas work too'} · ${count} ${isUsers ? (count === 1 ? 'user' : 'users') : count === 1 ? 'value' : 'values'}`}
          error={error('values')}
        >
          <textarea
            id={`${id}-values`}
            rows={isUsers ? 4 : 2}
            value={c.valuesText}
            onInput={(e: Event) => props.onChange({ ...c, valuesText: valueOf(e) })}
            {...describedBy(`${id}-values`, error('values'), true)}
          />
        </Field>
      )}
      <div class="condition-options">
        {negate}
        <label class="check">
          <input
            type="checkbox"
            id={`${id}-ci`}
            checked={c.caseInsensitive}
            onChange={(e: Event) => props.onChange({ ...c, caseInsensitive: checkedOf(e) })}
          />{' '}
          Ignore case
        </label>
        {remove}
      </div>
    </div>
  )
}
