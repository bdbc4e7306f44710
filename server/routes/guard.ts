import { Hono, type Context } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import type { GuardService } from '../guard/guard-service.ts'
import { guardOf } from '../guard/guard-state.ts'
import type { RolloutPlanner } from '../guard/rollout-planner.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { Store } from '../store/store.ts'
import { parse, schemas } from '../validation.ts'
import { expectedVersion, jsonBody, param } from './request.ts'

const HOUR = 3_600_000

/**
 * Guard settings, live guard status and per-minute series, and rollout plans of one flag in one
 * environment: `/api/v1/environments/:env/flags/:key/{guard,metrics,plan}`.
 */
export function guardRoutes(deps: { store: Store; service: FlagService; guard: GuardService; planner: RolloutPlanner; now: () => number }) {
  const { store, service, guard, planner, now } = deps
  /** The environment and flag a request is about, from the mount's `:env` and the route's `:key`. */
  const target = (c: Context) => [param(c, 'env'), param(c, 'key')] as const

  return new Hono<AuthEnv>()
    .get('/:key/guard', (c) => {
      const state = store.flags.getState(...target(c))
      return c.json(guard.status(state))
    })
    .put('/:key/guard', async (c) => {
      const { version, ...settings } = await jsonBody(c, schemas.guard)
      const state = service.applyState(...target(c), {
        actor: c.var.actor,
        action: 'guard.set',
        expectedVersion: expectedVersion(c, version),
        details: settings,
        // Changing the settings keeps the record of the last trip.
        update: (current) => ({ guard: { ...settings, lastTrip: guardOf(current)?.lastTrip ?? null } }),
      })
      return c.json({ state, ...guard.status(state) })
    })
    .delete('/:key/guard', (c) => {
      const state = service.applyState(...target(c), {
        actor: c.var.actor,
        action: 'guard.remove',
        expectedVersion: expectedVersion(c, undefined),
        update: () => ({ guard: null }),
      })
      return c.json({ state })
    })
    .get('/:key/metrics', (c) => {
      const { hours } = parse(schemas.metricsQuery, c.req.query(), 'query')
      const [env, key] = target(c)
      const state = store.flags.getState(env, key)
      guard.flushCounts()
      const minutes = store.metrics.series(env, key, now() - hours * HOUR)
      return c.json({ ...guard.status(state), minutes })
    })
    .put('/:key/plan', async (c) => {
      const { version, ...plan } = await jsonBody(c, schemas.plan)
      const [env, key] = target(c)
      const state = planner.start(env, key, plan, { actor: c.var.actor, expectedVersion: expectedVersion(c, version) })
      return c.json(state)
    })
    .post('/:key/plan/:action{pause|resume|cancel}', (c) => {
      const [env, key] = target(c)
      const action = param(c, 'action') as 'pause' | 'resume' | 'cancel'
      return c.json(planner[action](env, key, { actor: c.var.actor, expectedVersion: expectedVersion(c, undefined) }))
    })
}

/** `POST /api/v1/metrics`: the SDKs' HTTP fallback when their socket is down. */
export function metricsRoutes({ guard }: { guard: GuardService }) {
  return new Hono<AuthEnv>().post('/', async (c) => {
    const { batch } = await jsonBody(c, schemas.metrics)
    const accepted = guard.ingest(c.var.apiKey.environment as string, batch)
    return c.json({ id: batch.id, duplicate: !accepted })
  })
}
