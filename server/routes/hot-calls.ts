import { GENERIC_RESULTS, RESULTS } from '../../sdk/core/index.ts'
import { authenticate, authorizeKey, bearerSecret, type KeyVerifier } from '../auth/api-key.ts'
import { answerFor } from '../domain/answer.ts'
import { ValidationError } from '../errors.ts'
import { jsonAnswer, type HotAnswer, type HotCall } from '../exchange/hot-route.ts'
import type { EvidenceIntake } from '../guard/evidence-intake.ts'
import type { EnvRules } from '../live/env-rules.ts'
import { requestAddress } from '../rate-limit/client-address.ts'
import { CreditByAddress } from '../rate-limit/client-credit.ts'
import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { ApiKeyInfo, KeyKind, Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import { readPlainEvaluate, readPlainMetrics } from './plain-bodies.ts'
import { jsonText, shaped, stateView } from './request.ts'
import { identify, type Credentials } from '../auth/access.ts'
import { actorOf, authorize } from '../auth/identity.ts'
import * as shapes from '../../api-shapes/index.ts'

/**
 * The admin API's hot routes, as handlers both doors of the server serve
 * (exchange/hot-route.ts): the SDK calls `POST /api/v1/environments/:env/evaluate` and
 * `POST /api/v1/metrics`, and the read of one flag state. Each authenticates its own caller
 * (`authenticate` and `authorizeKey`, or `identify` and `authorize`: the same rules as every
 * route), then reads its body.
 */

/** The request's key, checked as `requireKey` does, and noted on the call for the request log. */
async function keyOf(keys: KeyVerifier, call: HotCall, kinds: readonly KeyKind[], environment: (key: ApiKeyInfo) => string | undefined): Promise<ApiKeyInfo> {
  const key = await authenticate(keys, bearerSecret(call.request.header('authorization')))
  call.key = key
  authorizeKey(key, { kinds, environment: environment(key) })
  return key
}

/**
 * Server-side evaluation (`POST /environments/:env/evaluate`) through the same `sdk/core` the
 * SDKs run, from the server's compiled rules. Admin and server keys get the detailed reason. A
 * client key (public) gets the public answer: a generic reason, only for client-visible flags
 * (a hidden flag answers exactly like a missing one), within a per-address rate limit, since
 * each call is a guess at who is in which cohort.
 */
export function evaluateCall({ keys, rules, clientLimits }: { keys: KeyVerifier; rules: EnvRules; clientLimits: ClientLimits }) {
  return async (call: HotCall): Promise<HotAnswer> => {
    const env = call.params[0]!
    const key = await keyOf(keys, call, ['admin', 'server', 'client'], () => env)
    const { flag, user } = jsonText(await call.request.text(), schemas.evaluate, { fast: readPlainEvaluate })
    const ruleset = await rules.load(env)
    if (key.kind !== 'client') return jsonAnswer(200, { flag, ...(ruleset.compiled.get(flag)?.evaluate(user) ?? RESULTS.unknownFlag) })
    const request = call.request
    clientLimits.admitEvaluation(requestAddress(request, clientLimits.settings.trustedProxies))
    const answer = answerFor(ruleset, rules.clientVisible(env), flag, user)
    return jsonAnswer(200, { flag, ...(answer?.public ?? GENERIC_RESULTS.error) })
  }
}

/**
 * `POST /api/v1/metrics`: the SDKs' HTTP fallback when their socket is down. Same validation and
 * the same trust rules as the socket: a client key's report needs its `user`, is put in the arm
 * the server computes, and is capped per key and remote address at one user's worth.
 */
export function metricsCall({ keys, intake, now }: { keys: KeyVerifier; intake: EvidenceIntake; now: () => number }) {
  const credits = new CreditByAddress()
  return async (call: HotCall): Promise<HotAnswer> => {
    const key = await keyOf(keys, call, ['server', 'client'], (k) => k.environment ?? undefined)
    const { batch, user } = jsonText(await call.request.text(), schemas.metrics, { fast: readPlainMetrics })
    const env = key.environment as string
    if (key.kind === 'server') return jsonAnswer(200, await intake.fromServer(env, batch))
    if (!user) throw new ValidationError('user: required with a client key (the server evaluates it to attribute the counts)')
    const credit = credits.of(`${key.id}\u0000${call.request.peer ?? 'unknown'}`, now())
    return jsonAnswer(200, await intake.fromClient(env, batch, user, credit))
  }
}

/**
 * `GET /api/v1/environments/:env/flags/:key`: one flag's state in one environment, with its
 * version as the ETag — what scripts, dashboards and the console poll. Keys and people alike
 * (`identify`, `authorize`: the admin API's rules), read access to the environment.
 */
export function flagStateCall({ credentials, store }: { credentials: Credentials; store: Store }) {
  return async (call: HotCall): Promise<HotAnswer> => {
    const [env, flag] = call.params as [string, string]
    const identity = await identify(credentials, call.request)
    if (identity.type === 'key') call.key = identity.key
    else call.actor = actorOf(identity)
    authorize(identity, { action: 'read', environment: env })
    const state = await store.flags.getState(env, flag)
    return jsonAnswer(200, shaped(shapes.flagState, stateView(state)), { ETag: `"${state.version}"` })
  }
}
