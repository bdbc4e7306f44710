import type { Credentials } from './auth/access.ts'
import { createKeyIndex, credentialId } from './auth/key-index.ts'
import type { ScryptCost } from './auth/password.ts'
import { createPeopleAuth } from './auth/people.ts'
import { createSignInThrottle, type SignInThrottleOptions } from './auth/sign-in-throttle.ts'
import { createStreamTickets } from './auth/stream-tickets.ts'
import { createEvidenceIntake } from './guard/evidence-intake.ts'
import { createClientLimits, DEFAULT_CLIENT_LIMITS, type ClientLimitSettings } from './rate-limit/client-limits.ts'
import { createGuardService } from './guard/guard-service.ts'
import { localEvidence } from './guard/evidence-sink.ts'
import { sharedEvidence } from './guard/shared-evidence.ts'
import { createRolloutPlanner } from './guard/rollout-planner.ts'
import type { WebhookOptions } from './guard/webhook.ts'
import type { Change } from '../sdk/core/changes.ts'
import { createSequencer } from './replication/sequencer.ts'
import type { ClusterStore, Store } from './store/contract.ts'
import { createEnvRules } from './live/env-rules.ts'
import { createHub } from './live/hub.ts'
import { createFlagService } from './services/flag-service.ts'
import { DEFAULT_WRITES_PER_KEY_PER_SECOND } from './routes/write-limit.ts'
import type { OfrepStreamLimits } from './ofrep/index.ts'
import { createChangeRequests } from './services/change-requests.ts'
import { createProtectedWrites } from './services/protected-writes.ts'
import { proposals } from './proposals.ts'

export interface ComposeOptions {
  /** The clock of the guard windows and rollout plans (tests move it by hand). */
  now?: () => number
  log: (message: string, error?: unknown) => void
  /** Webhook delivery settings (timeout, retries, answer cap, private targets allowed). */
  webhook?: WebhookOptions | undefined
  /** Rate limits on client (public) keys; unset fields keep the documented defaults. */
  clientLimits?: Partial<ClientLimitSettings> | undefined
  /**
   * Replicas on one PostgreSQL: commits reach the hub through a sequencer (merged in version
   * order with the other replicas' changes), and the guard shares counts and evidence.
   */
  cluster?: ClusterStore | undefined
  /** The bound of one environment's rules in bytes of JSON (default 16 MiB). */
  maxRulesBytes?: number | undefined
  /** Admin API writes per key per second (default 10; turning a flag off is never limited). */
  writesPerKeyPerSecond?: number | undefined
  /** OFREP event streams: token lifetime and open streams per token (defaults in server/ofrep). */
  ofrepStreams?: OfrepStreamLimits | undefined
  /** The scrypt cost of new password hashes (default auth/password.ts; tests may lower it). */
  passwordCost?: ScryptCost | undefined
  /** Failed sign-in delays (defaults in auth/sign-in-throttle.ts); `sleep` for tests. */
  signInThrottle?: Partial<SignInThrottleOptions> | undefined
}

/** Builds every service over one store (SQLite or PostgreSQL), in dependency order. Used by main and by tests. */
export function composeServices(store: Store, options: ComposeOptions) {
  const now = options.now ?? Date.now
  const hub = createHub((error) => options.log('change listener failed', error))
  const sequencer = options.cluster
    ? createSequencer({
        publish: (envKey, change) => hub.publish(envKey, change),
        changesSince: (envKey, after) => store.logs.changesSince(envKey, after),
        currentVersion: async (envKey) => (await store.flags.getEnvironment(envKey)).version,
        resync: (envKey, version) => hub.resync(envKey, version),
        log: options.log,
      })
    : undefined
  // Replicas: hear the changes this replica committed (metrics count each change where it was made).
  const localListeners = new Set<(envKey: string, change: Change) => void>()
  const service = createFlagService({
    store,
    hub,
    now,
    ...(options.maxRulesBytes !== undefined && { maxRulesBytes: options.maxRulesBytes }),
    ...(sequencer && {
      publish: (envKey: string, change: Change) => {
        for (const listener of localListeners) listener(envKey, change)
        sequencer.offer(envKey, change)
      },
    }),
  })
  const rules = createEnvRules({ store, hub, log: options.log })
  const guard = createGuardService({
    store,
    service,
    hub,
    now,
    log: options.log,
    webhook: options.webhook,
    // Chosen once: one process keeps the evidence in memory; replicas share it through the cluster store.
    evidence: options.cluster ? sharedEvidence({ store: options.cluster }) : localEvidence,
  })
  const intake = createEvidenceIntake({ guard, rules, now })
  const planner = createRolloutPlanner({ store, service, guard, now })
  // Protected environments' other writes (segments, clientSide, archive, import): refused while they would change an answer.
  const protectedWrites = createProtectedWrites({ store })
  // Protected environments' change requests; their news goes out through the flag's guard webhook.
  const requests = createChangeRequests({
    store,
    now,
    log: options.log,
    ...proposals({ service, planner }),
    notify: (request, type) => {
      store.flags.getState(request.environment, request.flag).then(
        (state) => guard.notify({ url: state.guard?.webhookUrl, environment: request.environment, flag: request.flag }, { type, environment: request.environment, flag: request.flag, request }),
        (error: unknown) => options.log(`change request #${request.id}: no webhook for ${type}`, error),
      )
    },
  })
  // Every key check of HTTP, WebSocket and OFREP reads this index, not the database.
  const keys = createKeyIndex({ store: store.keys, log: options.log })
  const clientLimits = createClientLimits({ ...DEFAULT_CLIENT_LIMITS, ...options.clientLimits }, now, options.log)
  /** Replicas: calls `listener` with each change this replica committed (not the others'). */
  const onLocalCommit = sequencer
    ? (listener: (envKey: string, change: Change) => void) => {
        localListeners.add(listener)
        return () => localListeners.delete(listener)
      }
    : undefined
  const writesPerKeyPerSecond = options.writesPerKeyPerSecond ?? DEFAULT_WRITES_PER_KEY_PER_SECOND
  // The console's single-use stream tickets die with their key, here and on every replica.
  const tickets = createStreamTickets({ now, isLive: keys.isLive })
  keys.onRevoked((isRevoked) => tickets.forgetRevoked(isRevoked))
  // A ticket issued before a role change must not open a stream under the old roles.
  keys.onRightsChanged((isAffected) => tickets.forgetRevoked(isAffected))
  const ofrepStreams: OfrepStreamLimits = options.ofrepStreams ?? {}
  const people = createPeopleAuth({
    store,
    now,
    ...(options.passwordCost && { scryptCost: options.passwordCost }),
    throttle: createSignInThrottle({
      now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      ...options.signInThrottle,
    }),
    // Ended sessions and tokens close their console streams and tickets here at once, as a
    // revoked key's do; PostgreSQL's store announces them to the other replicas (canary_keys).
    onEnded: (ended) => {
      for (const id of ended.sessions) keys.markRevoked(credentialId('session', id))
      for (const id of ended.tokens) keys.markRevoked(credentialId('token', id))
    },
    onRightsChanged: (affected) =>
      keys.rightsChanged([...affected.sessions.map((id) => credentialId('session', id)), ...affected.tokens.map((id) => credentialId('token', id))]),
  })
  /** How every admin route, the session route and the stream tickets resolve who is asking. */
  const credentials: Credentials = { keys, people }
  return { store, keys, people, credentials, hub, sequencer, onLocalCommit, service, rules, guard, intake, planner, requests, protectedWrites, now, clientLimits, writesPerKeyPerSecond, ofrepStreams, tickets }
}

export type Services = ReturnType<typeof composeServices>
