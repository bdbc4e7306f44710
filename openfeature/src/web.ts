import { createClient, type ClientOptions, type FlagClient } from '@canary-flags/sdk'
import { userFromContext } from '@canary-flags/sdk/openfeature'
import {
  ErrorCode,
  GeneralError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  ProviderFatalError,
  StandardResolutionReasons,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type TrackingEventDetails,
} from '@openfeature/web-sdk'
import { resolveBoolean, typeMismatch } from './resolution.ts'
import { bridgeStatus, providerEventEmitter } from './status-bridge.ts'
import { DEFAULT_DURATION_EVENT, DEFAULT_ERROR_EVENT, trackForGuard } from './track.ts'

export interface CanaryWebProviderOptions {
  /** The tracking event name that feeds the guard (`track(name, { flag })`). Default `error`. */
  errorEvent?: string
  /** The tracking event name that reports a duration in ms (`track(name, context, { flag, value })`). Default `duration`. */
  durationEvent?: string
  /** How long a lost connection lasts before STALE. Default 5000 ms. */
  staleAfterMs?: number
  /** How long `initialize` waits for the first answers. Default 10000 ms. */
  readyTimeoutMs?: number
}

/**
 * Either the options of a client-key SDK client (the provider makes it with the context's user)
 * or a client you made; `user` comes from the OpenFeature context either way.
 */
export type WebProviderOptions = CanaryWebProviderOptions & ({ client: FlagClient } | Omit<ClientOptions, 'user'>)

/** Bridged SDK events as this SDK's provider events. */
const emitBridged = providerEventEmitter(ProviderEvents, ErrorCode.PROVIDER_FATAL)

/**
 * The OpenFeature web provider: a canary-flags SDK client with a client key. The server
 * evaluates for the context's user and pushes the answers (client-visible flags only, generic
 * reasons); evaluations are synchronous, from memory. A new context (`OpenFeature.setContext`)
 * identifies the new user and resolves once their answers arrived. Events and `track` as in the
 * server provider.
 *
 * @example
 * await OpenFeature.setProviderAndWait(new CanaryFlagsWebProvider({ url, key: 'cf_client_…' }), { targetingKey: user.id })
 * OpenFeature.getClient().getBooleanValue('new-header', false)
 */
export class CanaryFlagsWebProvider implements Provider {
  readonly metadata = { name: 'canary-flags' } as const
  readonly runsOn = 'client' as const
  readonly events = new OpenFeatureEventEmitter()
  private client: FlagClient | undefined
  private readonly make: (context: EvaluationContext) => FlagClient
  private readonly owned: boolean
  private readonly options: CanaryWebProviderOptions
  private stopBridge: (() => void) | undefined
  /** Context switches in flight: the answers they change are the new user's, not a configuration change. */
  private switching = 0

  constructor(options: WebProviderOptions) {
    const { errorEvent, durationEvent, staleAfterMs, readyTimeoutMs, ...rest } = options
    this.options = { errorEvent, durationEvent, staleAfterMs, readyTimeoutMs }
    this.owned = !('client' in rest)
    this.make =
      'client' in rest
        ? () => rest.client
        : (context) => createClient({ sdkName: 'canary-flags-openfeature-web', ...rest, user: userFromContext(context).user })
  }

  /** The SDK client (after `initialize`). */
  get flagClient(): FlagClient | undefined {
    return this.client
  }

  async initialize(context: EvaluationContext = {}): Promise<void> {
    const fresh = this.client === undefined
    const client = (this.client ??= this.make(context))
    this.stopBridge ??= bridgeStatus(
      client,
      (event) => {
        // The web SDK announces a context switch itself (RECONCILING, CONTEXT_CHANGED).
        if (event.type === 'changed' && this.switching > 0) return
        emitBridged(this.events, event)
      },
      { staleAfterMs: this.options.staleAfterMs },
    )
    try {
      if (!this.owned || !fresh) await client.identify(userFromContext(context).user)
      await client.ready({ timeoutMs: this.options.readyTimeoutMs ?? 10_000 })
    } catch (error) {
      if ((error as { code?: string }).code === 'unauthorized')
        throw new ProviderFatalError((error as Error).message, { cause: error })
      throw new GeneralError((error as Error).message, { cause: error })
    }
  }

  /** The answers follow the context: the web SDK shows RECONCILING until the new user's answers are in. */
  async onContextChange(_oldContext: EvaluationContext, newContext: EvaluationContext): Promise<void> {
    this.switching++
    try {
      await this.client?.identify(userFromContext(newContext).user)
    } finally {
      this.switching--
    }
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): ResolutionDetails<boolean> {
    if (this.client === undefined)
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.PROVIDER_NOT_READY, errorMessage: 'not initialized' }
    // The answers are the identified user's; the context only says whether it names one.
    return resolveBoolean(this.client, flagKey, defaultValue, { user: {}, hasTargetingKey: userFromContext(context).hasTargetingKey })
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return typeMismatch(flagKey, defaultValue, 'string')
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return typeMismatch(flagKey, defaultValue, 'number')
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return typeMismatch(flagKey, defaultValue, 'object')
  }

  track(trackingEventName: string, _context: EvaluationContext, details: TrackingEventDetails): void {
    if (this.client === undefined) return
    trackForGuard(
      this.client,
      {
        errorEvent: this.options.errorEvent ?? DEFAULT_ERROR_EVENT,
        durationEvent: this.options.durationEvent ?? DEFAULT_DURATION_EVENT,
        warn: (m) => console.warn(`canary-flags: ${m}`),
      },
      trackingEventName,
      undefined,
      details,
    )
  }

  async onClose(): Promise<void> {
    this.stopBridge?.()
    this.stopBridge = undefined
    if (this.owned) await this.client?.close()
    this.client = undefined
  }
}
