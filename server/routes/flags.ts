import { Hono, type Context } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import { readableEnvironments } from '../auth/identity.ts'
import type { GuardService } from '../guard/guard-service.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { ProtectedWrites } from '../services/protected-writes.ts'
import type { FlagWithStates, Store, StoredFlagState } from '../store/contract.ts'
import { parse, schemas } from '../validation.ts'
import { encodeCursor } from '../cursor.ts'
import * as shapes from '../../api-shapes/index.ts'
import { summarizeCohorts } from '../../api-shapes/audience.ts'
import type { ChangeRequests } from '../services/change-requests.ts'
import { expectedVersion, heldAnswer, jsonBody, param, shaped, stateView } from './request.ts'

/**
 * Flag definitions (shared by all environments): `/api/v1/flags`. `clientSide: true` and
 * archiving are refused while the flag is on in a protected environment (`protectedWrites`).
 */
export function flagRoutes({ store, service, guard, protectedWrites }: { store: Store; service: FlagService; guard: GuardService; protectedWrites: ProtectedWrites }) {
  /** What a flags list shows per environment at a glance. */
  const summary = (state: StoredFlagState) => {
    const plan = state.plan
    return {
      enabled: state.enabled,
      version: state.version,
      cohorts: state.cohorts.length,
      widestRollout: state.cohorts.reduce((widest, c) => Math.max(widest, c.rollout), 0),
      audience: summarizeCohorts(state.cohorts),
      guard: guard.status(state).status,
      plan: plan && { status: plan.status, cohort: plan.cohort, step: plan.step, steps: plan.steps, nextAt: plan.nextAt },
    }
  }
  const withSummary = (flag: FlagWithStates) => ({
    key: flag.key,
    description: flag.description,
    tags: flag.tags,
    clientSide: flag.clientSide,
    createdAt: flag.createdAt,
    updatedAt: flag.updatedAt,
    environments: Object.fromEntries(flag.states.map((s) => [s.environment, summary(s)])),
  })
  /**
   * The flag as this identity may see it: shared definitions for everyone who may read, states
   * only of the environments they may read (a key bound to one, a person's roles).
   */
  const scoped = (c: Context<AuthEnv>, flag: FlagWithStates): FlagWithStates => inScope(readableEnvironments(c.get('identity')), flag)
  const inScope = (readable: 'all' | ReadonlySet<string>, flag: FlagWithStates): FlagWithStates =>
    readable === 'all' ? flag : { ...flag, states: flag.states.filter((s) => readable.has(s.environment)) }
  const detail = (flag: FlagWithStates) => shaped(shapes.flagDetail, { ...flag, states: flag.states.map(stateView) })

  return new Hono<AuthEnv>()
    .get('/', async (c) => {
      const page = await store.flags.listFlags(parse(schemas.pageQuery, c.req.query(), 'query'))
      // Read once: `c.var` builds a fresh object on every access, a cost per flag otherwise.
      const readable = readableEnvironments(c.get('identity'))
      return c.json(
        shaped(shapes.flagList, {
          items: page.items.map((flag) => withSummary(inScope(readable, flag))),
          nextCursor: page.next === null ? null : encodeCursor(page.next),
        }),
      )
    })
    .post('/', async (c) => {
      const input = await jsonBody(c, schemas.createFlag)
      return c.json(detail(scoped(c, await service.createFlag(input, c.get('actor')))), 201)
    })
    .get('/:key', async (c) => c.json(detail(scoped(c, await store.flags.getFlag(param(c, 'key'))))))
    .patch('/:key', async (c) => {
      const input = await jsonBody(c, schemas.updateFlag)
      await protectedWrites.checkDefinition(param(c, 'key'), input)
      return c.json(shaped(shapes.flagDefinition, await service.updateFlag(param(c, 'key'), input, c.get('actor'))))
    })
    .delete('/:key', async (c) => {
      await protectedWrites.checkArchive(param(c, 'key'))
      await service.archiveFlag(param(c, 'key'), c.get('actor'))
      return c.body(null, 204)
    })
}

/** A flag's state in one environment: `/api/v1/environments/:env/flags`. */
/**
 * In a protected environment a state write becomes a change request (`202`), except the kill
 * switch, which applies at once and is audited as an emergency change (`requests.gate`).
 */
export function flagStateRoutes({ store, service, requests }: { store: Store; service: FlagService; requests: ChangeRequests }) {
  const withEtag = (c: { header: (k: string, v: string) => void }, state: StoredFlagState) => {
    c.header('ETag', `"${state.version}"`)
    return shaped(shapes.flagState, stateView(state))
  }
  return new Hono<AuthEnv>()
    .get('/', async (c) => {
      const page = await store.flags.pageStates(param(c, 'env'), parse(schemas.pageQuery, c.req.query(), 'query'))
      return c.json(
        shaped(shapes.flagStateList, {
          items: page.items.map(stateView),
          nextCursor: page.next === null ? null : encodeCursor(page.next),
        }),
      )
    })
    // `GET /:key` is a hot route (hot-calls.ts), which both doors serve.
    .patch('/:key', async (c) => {
      const { version, ...update } = await jsonBody(c, schemas.patchState)
      const options = { actor: c.get('actor'), expectedVersion: expectedVersion(c, version) }
      const gate = await requests.gate(param(c, 'env'), param(c, 'key'), { kind: 'state', ...update }, options)
      if (gate.held) return heldAnswer(c, gate.held)
      const { state, changed } = await service.updateState(param(c, 'env'), param(c, 'key'), update, {
        ...options,
        ...(gate.emergency && { details: { emergency: 'kill switch in a protected environment: applied without approval' } }),
      })
      return c.json(shaped(shapes.flagStateWrite, { ...withEtag(c, state), changed }))
    })
    .put('/:key/cohorts/:cohort/rollout', async (c) => {
      const { rollout, version } = await jsonBody(c, schemas.setRollout)
      const options = { actor: c.get('actor'), expectedVersion: expectedVersion(c, version) }
      const gate = await requests.gate(param(c, 'env'), param(c, 'key'), { kind: 'rollout', cohort: param(c, 'cohort'), rollout }, options)
      if (gate.held) return heldAnswer(c, gate.held)
      const state = await service.setRollout(param(c, 'env'), param(c, 'key'), param(c, 'cohort'), rollout, options)
      return c.json(withEtag(c, state))
    })
}
