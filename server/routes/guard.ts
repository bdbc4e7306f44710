import { Hono, type Context } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import type { GuardService } from '../guard/guard-service.ts'
import type { RolloutPlanner } from '../guard/rollout-planner.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { Store, StoredFlagState } from '../store/contract.ts'
import { ValidationError } from '../errors.ts'
import { parse, schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { toFlatCounts } from '../../sdk/core/metrics.ts'
import { FineSeries } from '../guard/fine-series.ts'
import { newWebhookSecret } from '../outbound/signature.ts'
import type { ChangeRequests } from '../services/change-requests.ts'
import { expectedVersion, heldAnswer, jsonBody, param, shaped, stateView } from './request.ts'

const MINUTE = 60_000
/** How long a replaced webhook secret keeps signing unless the request says otherwise (a day). */
const DEFAULT_OVERLAP_SECONDS = 86_400
const SPAN_MS = { '15m': 15 * MINUTE, '1h': 60 * MINUTE, '6h': 360 * MINUTE, '24h': 1440 * MINUTE } as const

/**
 * Guard settings, live guard status and per-minute series, and rollout plans of one flag in one
 * environment: `/api/v1/environments/:env/flags/:key/{guard,metrics,plan}`.
 */
export function guardRoutes(deps: {
  store: Store
  service: FlagService
  guard: GuardService
  planner: RolloutPlanner
  /** Protected environments hold guard and plan changes as change requests (pause and cancel act at once). */
  requests: ChangeRequests
  now: () => number
  log?: (message: string, error?: unknown) => void
}) {
  const { store, service, guard, planner, requests, now } = deps
  const writer = (c: Context<AuthEnv>, version: number | undefined) => ({ actor: c.get('actor'), expectedVersion: expectedVersion(c, version) })
  /** The environment and flag a request is about, from the mount's `:env` and the route's `:key`. */
  const target = (c: Context) => [param(c, 'env'), param(c, 'key')] as const
  /** The guard's view with where the plan stands (waiting for evidence, when it would hold). */
  const view = (state: StoredFlagState) => shaped(shapes.guardReport, { ...guard.status(state), planProgress: planner.progress(state) })

  return new Hono<AuthEnv>()
    .get('/:key/guard', async (c) => {
      const state = await store.flags.getState(...target(c))
      return c.json(view(state))
    })
    .put('/:key/guard', async (c) => {
      const { version, ...settings } = await jsonBody(c, schemas.guard)
      const options = writer(c, version)
      const gate = await requests.gate(...target(c), { kind: 'guard', settings }, options)
      if (gate.held) return heldAnswer(c, gate.held)
      // Changing the settings keeps the record of the last trip.
      const state = await service.setGuard(...target(c), settings, options)
      // The first webhook of this flag gets its signing secret, shown in this answer only.
      const secret = newWebhookSecret()
      const made = settings.webhookUrl !== undefined && (await store.webhookSecrets.ensure(...target(c), secret, now()))
      return c.json(shaped(shapes.guardSet, { state: stateView(state), ...view(state), ...(made && { webhookSecret: secret }) }))
    })
    // A new signing secret; the replaced one keeps signing for the overlap, so receivers switch without a gap.
    .post('/:key/guard/webhook-secret', async (c) => {
      const { overlapSeconds = DEFAULT_OVERLAP_SECONDS } = await jsonBody(c, schemas.webhookSecret)
      const [env, key] = target(c)
      const state = await store.flags.getState(env, key)
      if (!state.guard?.webhookUrl) throw new ValidationError(`${key} in ${env} has no guard webhook: set guard.webhookUrl first`)
      const secret = newWebhookSecret()
      const before = await store.webhookSecrets.signing(env, key, now())
      const previousValidUntil = before.length > 0 ? now() + overlapSeconds * 1000 : null
      await store.webhookSecrets.rotate(env, key, secret, previousValidUntil ?? now(), now())
      deps.log?.(`webhook signing secret of ${key} in ${env} rotated by ${c.get('actor')}`)
      return c.json(shaped(shapes.webhookSecretRotated, { secret, previousValidUntil }))
    })
    .delete('/:key/guard', async (c) => {
      const options = writer(c, undefined)
      const gate = await requests.gate(...target(c), { kind: 'guard_remove' }, options)
      if (gate.held) return heldAnswer(c, gate.held)
      const state = await service.removeGuard(...target(c), options)
      return c.json(shaped(shapes.guardRemoved, { state: stateView(state) }))
    })
    .get('/:key/metrics', async (c) => {
      const { hours, span } = parse(schemas.metricsQuery, c.req.query(), 'query')
      const [env, key] = target(c)
      const state = await store.flags.getState(env, key)
      await guard.flushCounts()
      // Rows are per minute (the stored aggregate); a span starts on a minute boundary.
      const from = Math.floor((now() - (span ? SPAN_MS[span] : hours * 60 * MINUTE)) / MINUTE) * MINUTE
      const rows = await store.metrics.series(env, key, from)
      const minutes = rows.map(({ minute, counts }) => ({ minute, ...toFlatCounts(counts) }))
      const first = minutes.find((m) => m.canaryExposures + m.controlExposures > 0)
      // Ten-second rows for a new canary's chart: the guard keeps them for guarded flags (saved with its evidence).
      const fineRows = guard.fineRows(env, key, now() - SPAN_MS['15m'])
      return c.json(
        shaped(shapes.metrics, {
          ...view(state),
          minutes,
          resolutionSeconds: 60,
          from,
          firstCountAt: first?.minute ?? null,
          fine: fineRows.length ? { resolutionSeconds: FineSeries.bucketMs / 1000, rows: fineRows } : null,
        }),
      )
    })
    .put('/:key/plan', async (c) => {
      const { version, ...plan } = await jsonBody(c, schemas.plan)
      const [env, key] = target(c)
      const options = writer(c, version)
      const gate = await requests.gate(env, key, { kind: 'plan', plan }, options)
      if (gate.held) return heldAnswer(c, gate.held)
      const state = await planner.start(env, key, plan, options)
      return c.json(shaped(shapes.flagState, stateView(state)))
    })
    // What starting this plan would do (steps that run, steps skipped, a plan it would replace).
    .post('/:key/plan/preview', async (c) => {
      const { version: _version, replace: _replace, ...plan } = await jsonBody(c, schemas.plan)
      return c.json(shaped(shapes.planPreview, await planner.preview(...target(c), plan)))
    })
    // One route per action, not `:action{pause|resume|cancel}`: a pattern next to `/plan/preview`
    // that hono's RegExpRouter cannot combine, which made every request of the app (the SDK
    // routes too) go through the slower TrieRouter.
    .post('/:key/plan/pause', planAction('pause'))
    .post('/:key/plan/resume', planAction('resume'))
    .post('/:key/plan/cancel', planAction('cancel'))

  function planAction(action: 'pause' | 'resume' | 'cancel') {
    return async (c: Context<AuthEnv>) => {
      const [env, key] = target(c)
      const options = writer(c, undefined)
      // Pausing or cancelling only stops widening, like the kill switch: never held. Resuming widens again.
      if (action === 'resume') {
        const gate = await requests.gate(env, key, { kind: 'plan_resume' }, options)
        if (gate.held) return heldAnswer(c, gate.held)
      }
      const state = await planner[action](env, key, options)
      return c.json(shaped(shapes.flagState, stateView(state)))
    }
  }
}
