import { Hono } from 'hono'
import { GENERIC_RESULTS, RESULTS } from '../../sdk/core/index.ts'
import { answerFor } from '../domain/answer.ts'
import type { AuthEnv } from '../auth/api-key.ts'
import { readableEnvironments } from '../auth/identity.ts'
import { clientAddress, remoteAddressOf } from '../rate-limit/client-address.ts'
import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { FlagService } from '../services/flag-service.ts'
import type { Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { jsonBody, param, shaped } from './request.ts'

/** `/api/v1/environments`: list and create. */
export function environmentRoutes({ store, service }: { store: Store; service: FlagService }) {
  return new Hono<AuthEnv>()
    // An environment's key, or a person with roles in some environments, sees those only (not
    // even others' names or versions).
    .get('/', async (c) => {
      const readable = readableEnvironments(c.var.identity)
      const all = await store.flags.listEnvironments()
      return c.json(shaped(shapes.environmentList, { items: readable === 'all' ? all : all.filter((e) => readable.has(e.key)) }))
    })
    .post('/', async (c) => {
      const input = await jsonBody(c, schemas.createEnvironment)
      return c.json(shaped(shapes.environment, await service.createEnvironment({ key: input.key, name: input.name ?? input.key }, c.var.actor)), 201)
    })
}

/**
 * Server-side evaluation (`POST /environments/:env/evaluate`) through the same `sdk/core` the
 * SDKs run, from the server's compiled rules, and the snapshot an SDK can bootstrap from.
 * Admin and server keys get the detailed reason. A client key (public) gets the public answer:
 * a generic reason, only for client-visible flags (a hidden flag answers exactly like a missing
 * one), within a per-address rate limit, since each call is a guess at who is in which cohort.
 */
export function evaluationRoutes({ store, rules, clientLimits }: { store: Store; rules: EnvRules; clientLimits: ClientLimits }) {
  return new Hono<AuthEnv>()
    .post('/evaluate', async (c) => {
      const { flag, user } = await jsonBody(c, schemas.evaluate)
      const env = param(c, 'env')
      const ruleset = await rules.load(env)
      if (c.var.apiKey.kind !== 'client') return c.json({ flag, ...(ruleset.compiled.get(flag)?.evaluate(user) ?? RESULTS.unknownFlag) })
      const address = clientAddress({
        remoteAddress: remoteAddressOf(c),
        forwardedFor: c.req.header('x-forwarded-for'),
        trustedProxies: clientLimits.settings.trustedProxies,
      })
      clientLimits.admitEvaluation(address)
      const answer = answerFor(ruleset, rules.clientVisible(env), flag, user)
      return c.json({ flag, ...(answer?.public ?? GENERIC_RESULTS.error) })
    })
    .get('/snapshot', async (c) => {
      const snapshot = await store.snapshot(param(c, 'env'))
      c.header('ETag', `"${snapshot.version}"`)
      return c.json(snapshot)
    })
}
