import * as shapes from '../../../api-shapes/index.ts'
import { useCallback, useState } from 'hono/jsx/dom'
import type { ApiError } from '../api/http.ts'
import type { AuditEntry } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { auditDiff } from '../lib/audit-diff.ts'
import {
  ACTOR_KINDS,
  actionText,
  actorKind,
  actorText,
  type ActorKind,
} from '../../../api-shapes/audit-words.ts'
import { formatLimit, RULE_TEXT, TEST_TEXT, tripWhy } from '../lib/evidence.ts'
import { formatTime } from '../lib/format.ts'
import { checkedOf, valueOf } from './field.tsx'
import { DiffTable } from './diff-table.tsx'

const ACTOR_FILTER: Record<ActorKind, string> = {
  person: 'People',
  guard: 'The guard',
  plan: 'Rollout plans',
}

/** The frozen trip record an audit entry carries in `details`; nothing when it does not read as one. */
function TripDetails(props: { details: unknown }) {
  const trip = shapes.auditedTrip.safeParse(props.details)
  if (!trip.success) return null
  const d = trip.data
  return (
    <p class="muted" data-trip-words>
      Why: {RULE_TEXT[d.rule]}, limit {formatLimit(d.rule, d.limit)}
      {d.test ? `, ${TEST_TEXT[d.test]} test` : ''}: {tripWhy(d)}.
    </p>
  )
}

function Entry(props: { entry: AuditEntry; showEnv: boolean }) {
  const { entry } = props
  const lines = auditDiff(entry.before, entry.after)
  return (
    <li class="audit-entry" data-action={entry.action}>
      <p class="audit-head">
        <time dateTime={new Date(entry.at).toISOString()}>{formatTime(entry.at)}</time> ·{' '}
        <strong>{actorText(entry.actor)}</strong> {actionText(entry.action)}
        {props.showEnv && entry.envKey ? <span class="tag">{entry.envKey}</span> : null}
        {entry.version !== null ? <span class="muted"> · version {entry.version}</span> : null}
      </p>
      <DiffTable lines={lines} />
      {entry.action === 'guard.trip' ? <TripDetails details={entry.details} /> : null}
    </li>
  )
}

/** Who changed this flag, when and what: newest first, with a before/after of changed fields. */
export function AuditLog(props: { flagKey: string; refresh: number }) {
  const { api, env } = useApp()
  const [allEnvs, setAllEnvs] = useState(false)
  const [actor, setActor] = useState<ActorKind | 'all'>('all')
  const [items, setItems] = useState<AuditEntry[]>([])
  const [nextBefore, setNextBefore] = useState<number | null>(null)
  const [error, setError] = useState<string | undefined>(undefined)

  const query = useCallback(
    (before: number | null) => {
      const params = new URLSearchParams({ flag: props.flagKey, limit: '25' })
      if (!allEnvs) params.set('env', env)
      if (before !== null) params.set('before', String(before))
      return api('GET', `/api/v1/audit?${params}`, shapes.auditPage)
    },
    [api, env, props.flagKey, allEnvs],
  )

  useCommitEffect(() => {
    query(null).then(
      (page) => {
        setItems(page.items)
        setNextBefore(page.nextBefore)
        setError(undefined)
      },
      (e: ApiError) => setError(e.message),
    )
  }, [query, props.refresh])

  const older = () =>
    query(nextBefore).then(
      (page) => {
        setItems((list) => [...list, ...page.items])
        setNextBefore(page.nextBefore)
      },
      (e: ApiError) => setError(e.message),
    )

  const shown = actor === 'all' ? items : items.filter((e) => actorKind(e.actor) === actor)
  return (
    <section class="audit card" aria-labelledby="audit-heading">
      <h2 id="audit-heading">History</h2>
      <label class="check">
        <input
          type="checkbox"
          id="audit-all-envs"
          checked={allEnvs}
          onChange={(e: Event) => setAllEnvs(checkedOf(e))}
        />{' '}
        All environments
      </label>
      <label class="audit-actor" for="audit-actor">
        Changed by{' '}
        <select
          id="audit-actor"
          value={actor}
          onChange={(e: Event) => setActor(valueOf(e) as ActorKind | 'all')}
        >
          <option value="all" selected={actor === 'all'}>
            Anyone
          </option>
          {ACTOR_KINDS.map((kind) => (
            <option value={kind} selected={actor === kind}>
              {ACTOR_FILTER[kind]}
            </option>
          ))}
        </select>
      </label>
      {error ? <p class="form-error">{error}</p> : null}
      {items.length === 0 && !error ? <p class="empty">No changes recorded yet.</p> : null}
      {items.length > 0 && shown.length === 0 ? (
        <p class="empty">No changes by {ACTOR_FILTER[actor as ActorKind].toLowerCase()} among these.</p>
      ) : null}
      <ol class="audit-list">
        {shown.map((entry) => (
          <Entry key={entry.id} entry={entry} showEnv={allEnvs} />
        ))}
      </ol>
      {nextBefore !== null ? (
        <button type="button" onClick={older}>
          Show older changes
        </button>
      ) : null}
    </section>
  )
}
