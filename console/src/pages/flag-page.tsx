import * as shapes from '../../../api-shapes/index.ts'
import { useCallback, useMemo, useRef, useState } from 'hono/jsx/dom'
import { seg, type ApiError } from '../api/http.ts'
import type { FlagState, Metrics, MetricSpan } from '../api/types.ts'
import { spanFor, widerSpan } from '../lib/chart.ts'
import { useApp } from '../app-context.ts'
import { AuditLog } from '../components/audit-log.tsx'
import { OnOffBadge } from '../components/badges.tsx'
import { CohortsEditor } from '../components/cohorts-editor.tsx'
import { GuardPanel } from '../components/guard-panel.tsx'
import { ClientSideToggle } from '../components/client-side-toggle.tsx'
import { KillSwitch } from '../components/kill-switch.tsx'
import { PlanPanel } from '../components/plan-panel.tsx'
import { TripBanner } from '../components/trip-banner.tsx'
import { RequestBanner } from '../components/request-banner.tsx'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { useLive } from '../hooks/use-live.ts'
import { formatTime } from '../lib/format.ts'
import { tripHolds } from '../../../api-shapes/guard.ts'
import { createOwnChanges, type FlagChanges } from '../lib/own-changes.ts'

/** After a guard update, when to read the guard's figures again (see below). */
const SETTLE_MS = 1500

/**
 * One flag in one environment: switch, cohorts, guard and chart, rollout plan and history.
 * Server state arrives over REST and is refreshed by the live socket; forms keep their own
 * drafts (see `useDraft`), so a refresh never overwrites what a person is typing.
 */
export function FlagPage(props: { flagKey: string }) {
  const { api, env, environments, link } = useApp()
  const key = props.flagKey
  const base = `/api/v1/environments/${seg(env)}/flags/${seg(key)}`
  const [state, setState] = useState<FlagState | null>(null)
  const [metrics, setMetrics] = useState<Metrics | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [archived, setArchived] = useState(false)
  const [auditVersion, setAuditVersion] = useState(0)

  /** Keeps the newest state: answers of overlapping reloads may arrive out of order. */
  const accept = useCallback((next: FlagState) => {
    setState((prev) =>
      prev &&
      prev.key === next.key &&
      prev.environment === next.environment &&
      prev.version > next.version
        ? prev
        : next,
    )
    setAuditVersion((v) => v + 1)
  }, [])
  const own = useMemo(() => createOwnChanges(), [key, env])
  const changes: FlagChanges = useMemo(
    () => ({
      saved: (next, from, touched) => {
        own.record(from, next.version, touched)
        accept(next)
      },
      seen: accept,
      follow: own.follow,
    }),
    [own, accept],
  )

  // Answers for another flag or environment (the person switched meanwhile) are dropped.
  const shown = useRef(base)
  shown.current = base
  const loadState = useCallback(() => {
    api('GET', base, shapes.flagState).then(
      (s) => {
        if (shown.current !== base) return
        setError(null)
        accept(s)
      },
      (e: ApiError) => shown.current === base && setError(e),
    )
  }, [api, base])
  // The chart's span: picked by a person, or following the data. The first request looks back
  // 24 h to find when the counts began; later ones ask only for what the chart shows (at least
  // the last hour, which the audience preview counts), since every guard update reloads them.
  const [pickedSpan, setPickedSpan] = useState<MetricSpan | null>(null)
  const picked = useRef<MetricSpan | null>(null)
  const firstCountAt = useRef<number | null | undefined>(undefined)
  const loadMetrics = useCallback(() => {
    const span =
      firstCountAt.current === undefined
        ? '24h'
        : widerSpan(picked.current ?? spanFor(firstCountAt.current, Date.now()).span, '1h')
    api('GET', `${base}/metrics?span=${span}`, shapes.metrics).then(
      (m) => {
        if (shown.current !== base) return
        if (firstCountAt.current === undefined || firstCountAt.current === null) firstCountAt.current = m.firstCountAt
        setMetrics({ ...m, firstCountAt: firstCountAt.current })
      },
      () => {
        // The chart keeps its last data; the state request reports what is wrong.
      },
    )
  }, [api, base])
  const pickSpan = useCallback(
    (span: MetricSpan | null) => {
      picked.current = span
      setPickedSpan(span)
      loadMetrics()
    },
    [loadMetrics],
  )

  useCommitEffect(() => {
    setState(null)
    setMetrics(null)
    setArchived(false)
    firstCountAt.current = undefined
    loadState()
    loadMetrics()
  }, [loadState, loadMetrics])

  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useCommitEffect(() => () => clearTimeout(settle.current), [])

  // When a plan's step falls due, whether it waits for evidence is news no message brings.
  const planDue = state?.plan?.status === 'active' ? state.plan.nextAt : null
  useCommitEffect(() => {
    const delay = planDue === null ? 0 : Math.max(0, planDue - Date.now()) + 1000
    if (planDue === null || delay > 2 ** 31 - 1) return
    const timer = setTimeout(loadMetrics, delay)
    return () => clearTimeout(timer)
  }, [planDue, loadMetrics])

  // Minutes roll over even when no counts arrive: keep the chart's time axis current.
  useCommitEffect(() => {
    const timer = setInterval(loadMetrics, 60_000)
    return () => clearInterval(timer)
  }, [loadMetrics])

  useLive((message) => {
    if (message.type === 'resync') {
      loadState()
      loadMetrics()
    } else if (message.type === 'guard_update') {
      if (message.flag !== key) return
      // The status is in the message; the per-minute series needs one request.
      setMetrics((m) => (m ? { ...m, ...message.guard } : m))
      loadMetrics()
      // The update follows the counts' arrival, and they reach the guard's tests at its next
      // once-a-second tick: ask once more after it, so the evidence shown includes them.
      clearTimeout(settle.current)
      settle.current = setTimeout(loadMetrics, SETTLE_MS)
    } else if (message.change.type === 'flag' && message.change.flag.key === key) {
      loadState()
      loadMetrics()
    } else if (message.change.type === 'flag_deleted' && message.change.key === key)
      setArchived(true)
  })

  const environment = environments.find((e) => e.key === env)
  if (error && !state)
    return (
      <div class="flag-page">
        <p class="form-error" role="alert">
          {error.status === 404
            ? `There is no flag ${key} in ${environment?.name ?? env}.`
            : error.message}
        </p>
        <a href={link({ page: 'flags' })}>Back to flags</a>
      </div>
    )
  if (!state) return <p class="loading">Loading {key}…</p>

  const tripped = !state.enabled && tripHolds(state.guard?.lastTrip)
  return (
    <div class="flag-page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={link({ page: 'flags' })}>Flags</a> / <span aria-current="page">{key}</span>
      </nav>
      <header class="flag-head">
        <h1>{key}</h1>
        <OnOffBadge enabled={state.enabled} />
        <span class="muted">
          in {environment?.name ?? env} · version {state.version} · changed{' '}
          {formatTime(state.updatedAt)}
        </span>
      </header>
      {archived ? (
        <p class="notice" role="alert">
          This flag was archived meanwhile; SDKs no longer serve it.
        </p>
      ) : null}
      {tripped ? <TripBanner state={state} changes={changes} /> : null}
      <RequestBanner flagKey={key} version={state.version} />
      <KillSwitch state={state} changes={changes} />
      <ClientSideToggle state={state} onSaved={loadState} />
      <div class="flag-grid">
        <div class="column">
          <CohortsEditor state={state} metrics={metrics} changes={changes} />
        </div>
        <div class="column">
          <GuardPanel
            state={state}
            metrics={metrics}
            changes={changes}
            pickedSpan={pickedSpan}
            onPickSpan={pickSpan}
          />
          <PlanPanel state={state} progress={metrics?.planProgress ?? null} changes={changes} />
        </div>
      </div>
      <AuditLog flagKey={key} refresh={auditVersion} />
    </div>
  )
}
