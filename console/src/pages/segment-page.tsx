import * as shapes from '../../../api-shapes/index.ts'
import { useCallback, useMemo, useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import type { Segment } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { Confirm } from '../components/confirm.tsx'
import { ConditionRow } from '../components/condition-row.tsx'
import { describedBy, Field, FormError, valueOf } from '../components/field.tsx'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { useDraft } from '../hooks/use-draft.ts'
import { useLive } from '../hooks/use-live.ts'
import {
  createIds,
  joinValues,
  splitValues,
  toCondition,
  toConditionDraft,
  type ConditionDraft,
} from '../lib/cohort-draft.ts'
import { fieldErrors, NO_ERRORS, type FieldErrors } from '../lib/field-errors.ts'

interface SegmentDraft {
  key: string
  description: string
  userIds: string
  conditions: ConditionDraft[]
}

/** Creates or edits one segment; saves with the version shown, deletes after asking. */
export function SegmentPage(props: { segmentKey: string | null }) {
  const { api, env, link, navigate } = useApp()
  const isNew = props.segmentKey === null
  const path = `/api/v1/environments/${seg(env)}/segments`
  const [segment, setSegment] = useState<Segment | null>(null)
  const [loadError, setLoadError] = useState<string | undefined>(undefined)
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS)
  const [conflict, setConflict] = useState<string | undefined>(undefined)
  const [confirmDelete, setConfirmDelete] = useState(false)
  const newId = useMemo(() => createIds('s'), [])

  const load = useCallback(() => {
    if (props.segmentKey === null) return
    api('GET', `${path}/${seg(props.segmentKey)}`, shapes.segment).then(setSegment, (e: ApiError) =>
      setLoadError(e.message),
    )
  }, [api, path, props.segmentKey])
  useCommitEffect(load, [load])
  useLive((m) => {
    if (
      m.type === 'resync' ||
      (m.type === 'console_change' &&
        m.change.type === 'segment' &&
        m.change.segment.key === props.segmentKey)
    )
      load()
  })

  const saved = useMemo<SegmentDraft>(
    () => ({
      key: segment?.key ?? '',
      description: segment?.description ?? '',
      userIds: joinValues(segment?.userIds ?? []),
      conditions: (segment?.conditions ?? []).map((c) => toConditionDraft(c, newId())),
    }),
    [segment?.version, segment?.key],
  )
  const draft = useDraft(saved, segment?.version ?? 0)
  const d = draft.value

  if (!isNew && !segment)
    return loadError ? (
      <p class="form-error">{loadError}</p>
    ) : (
      <p class="loading">Loading segment…</p>
    )

  const shown = [
    'key',
    'description',
    'userIds',
    'conditions',
    ...d.conditions.flatMap((_, j) =>
      ['attribute', 'operator', 'values'].map((f) => `conditions.${j}.${f}`),
    ),
  ]

  async function save(event: Event) {
    event.preventDefault()
    const body = {
      key: d.key.trim(),
      description: d.description,
      userIds: splitValues(d.userIds, 'in').map(String),
      conditions: d.conditions.map(toCondition),
      ...(isNew ? {} : { version: draft.base }),
    }
    try {
      const result = isNew
        ? await api('POST', path, shapes.segment, body)
        : await api('PUT', `${path}/${seg(props.segmentKey!)}`, shapes.segment, body)
      draft.discard()
      setErrors(NO_ERRORS)
      setConflict(undefined)
      if (isNew) navigate({ page: 'segment', key: result.key })
      else setSegment(result)
    } catch (e) {
      const failure = e as ApiError
      // A version conflict carries the newer segment; a protected environment's refusal does not (it says why instead).
      if (failure.status === 409 && !isNew && failure.current !== undefined) {
        setConflict(failure.message)
        load()
      } else setErrors(fieldErrors(failure.issues, shown))
    }
  }

  async function remove() {
    setConfirmDelete(false)
    try {
      await api('DELETE', `${path}/${seg(props.segmentKey!)}`, null)
      navigate({ page: 'segments' })
    } catch (e) {
      setErrors(fieldErrors((e as ApiError).issues, []))
    }
  }

  const setConditions = (conditions: ConditionDraft[]) => draft.edit((x) => ({ ...x, conditions }))
  return (
    <div class="segment-page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={link({ page: 'segments' })}>Segments</a> /{' '}
        <span aria-current="page">{isNew ? 'new' : props.segmentKey}</span>
      </nav>
      <h1>{isNew ? 'New segment' : `Segment ${props.segmentKey}`}</h1>
      {draft.stale || conflict ? (
        <div class="conflict" role="alert">
          <h3>Someone else changed this segment</h3>
          <p>
            It is now at version {segment?.version}; your edits started from version {draft.base}.{' '}
            {conflict ? 'Your changes were not saved.' : 'Saving now would be refused.'}
          </p>
          <div class="actions">
            <button type="button" onClick={() => (draft.discard(), setConflict(undefined))}>
              Discard my edits, show theirs
            </button>
            <button type="button" onClick={() => (draft.rebase(), setConflict(undefined))}>
              Keep my edits on top of version {segment?.version}
            </button>
          </div>
        </div>
      ) : null}
      <datalist id="known-attributes">
        {['userId', 'region', 'country', 'email', 'appVersion', 'plan'].map((a) => (
          <option value={a} />
        ))}
      </datalist>
      <form class="card" onSubmit={save} noValidate aria-label="Segment">
        <Field
          id="segment-key"
          label="Key"
          hint={isNew ? 'lowercase letters, digits, . _ -' : 'a segment keeps its key'}
          error={errors.get('key')}
        >
          <input
            id="segment-key"
            value={d.key}
            readonly={!isNew}
            onInput={(e: Event) => draft.edit((x) => ({ ...x, key: valueOf(e) }))}
            {...describedBy('segment-key', errors.get('key'), true)}
          />
        </Field>
        <Field id="segment-description" label="Description" error={errors.get('description')}>
          <input
            id="segment-description"
            value={d.description}
            onInput={(e: Event) => draft.edit((x) => ({ ...x, description: valueOf(e) }))}
            {...describedBy('segment-description', errors.get('description'))}
          />
        </Field>
        <Field
          id="segment-users"
          label="User ids"
          hint={`one per line — paste a list · ${splitValues(d.userIds, 'in').length} users`}
          error={errors.get('userIds')}
        >
          <textarea
            id="segment-users"
            rows={6}
            value={d.userIds}
            onInput={(e: Event) => draft.edit((x) => ({ ...x, userIds: valueOf(e) }))}
            {...describedBy('segment-users', errors.get('userIds'), true)}
          />
        </Field>
        <h2>Or users who meet all of</h2>
        <FormError message={errors.get('conditions')} />
        {d.conditions.map((c, j) => (
          <ConditionRow
            key={c.id}
            id={`segment-cond-${j}`}
            field={`conditions.${j}`}
            index={j}
            condition={c}
            segments={null}
            errors={errors}
            onChange={(next) => setConditions(d.conditions.map((x, k) => (k === j ? next : x)))}
            onRemove={() => setConditions(d.conditions.filter((_, k) => k !== j))}
          />
        ))}
        <button
          type="button"
          onClick={() =>
            setConditions([
              ...d.conditions,
              {
                id: newId(),
                kind: 'attribute',
                attribute: '',
                operator: 'in',
                valuesText: '',
                negate: false,
                caseInsensitive: false,
              },
            ])
          }
        >
          Add condition
        </button>
        <FormError message={errors.get('')} />
        <div class="actions">
          <button type="submit" class="primary" disabled={!isNew && !draft.editing}>
            {isNew ? 'Create segment' : 'Save segment'}
          </button>
          {!isNew ? (
            <button type="button" class="danger-text link" onClick={() => setConfirmDelete(true)}>
              Delete segment
            </button>
          ) : null}
        </div>
        {confirmDelete ? (
          <Confirm
            id="segment-delete"
            danger
            message={`Delete segment ${props.segmentKey}? Flags that use it must stop using it first.`}
            confirmLabel="Yes, delete it"
            onConfirm={remove}
            onCancel={() => setConfirmDelete(false)}
          />
        ) : null}
      </form>
    </div>
  )
}
