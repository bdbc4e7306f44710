import { createClient, type ClientOptions, type FlagClient } from '@canary-flags/sdk'
import { userFromContext } from '@canary-flags/sdk/openfeature'
import {
  ErrorCode,
  GeneralError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  ProviderFatalError,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type TrackingEventDetails,
} from '@openfeature/server-sdk'
import { resolveBoolean, typeMismatch } from './resolution.ts'
import { bridgeStatus, providerEventEmitter } from './status-bridge.ts'
import { DEFAULT_DURATION_EVENT, DEFAULT_ERROR_EVENT, trackForGuard } from './track.ts'

export interface CanaryProviderOptions {
  /** The tracking event name that feeds the guard (`track(name, context, { flag })`). Default `error`. */
  errorEvent?: string
  /** The tracking event name that reports a duration in ms (`track(name, context, { flag, value })`). Default `duration`. */
  durationEvent?: string
  /** How long a lost connection lasts before STALE. Default 5000 ms. */
  staleAfterMs?: number
  /** How long `initialize` waits for the first state. Default 10000 ms. */
  readyTimeoutMs?: number
}

/** Either an SDK client you made (and keep closing yourself) or the options to make one. */
export type ServerProviderOptions = CanaryProviderOptions & ({ client: FlagClient } | ClientOptions)

/** Bridged SDK events as this SDK's provider events. */
const emitBridged = providerEventEmitter(ProviderEvents, ErrorCode.PROVIDER_FATAL)

/**
 * The OpenFeature server provider: a canary-flags SDK client with a server key, evaluating the
 * environment's rules in process (no network per evaluation). Emits READY, CONFIGURATION_CHANGED
 * with the changed keys, STALE after a lost connection outlasts `staleAfterMs` (READY when back),
 * and a fatal ERROR when the key is refused or revoked. `track('error', context, { flag })` feeds
 * the guard.
 *
 * @example
 * await OpenFeature.setProviderAndWait(new CanaryFlagsProvider({ url, key: process.env.FLAGS_KEY! }))
 * const on = await OpenFeature.getClient().getBooleanValue('checkout-v2', false, { targetingKey: user.id })
 */
export class CanaryFlagsProvider implements Provider {
  readonly metadata = { name: 'canary-flags' } as const
  readonly runsOn = 'server' as const
  readonly events = new OpenFeatureEventEmitter()
  readonly client: FlagClient
  private readonly owned: boolean
  private readonly options: CanaryProviderOptions
  private stopBridge: (() => void) | undefined

  constructor(options: ServerProviderOptions) {
    const { errorEvent, durationEvent, staleAfterMs, readyTimeoutMs, ...rest } = options
    this.options = { errorEvent, durationEvent, staleAfterMs, readyTimeoutMs }
    this.owned = !('client' in rest)
    this.client = 'client' in rest ? rest.client : createClient({ sdkName: 'canary-flags-openfeature-server', ...rest })
  }

  async initialize(): Promise<void> {
    this.stopBridge ??= bridgeStatus(this.client, (event) => emitBridged(this.events, event), {
      staleAfterMs: this.options.staleAfterMs,
    })
    try {
      await this.client.ready({ timeoutMs: this.options.readyTimeoutMs ?? 10_000 })
    } catch (error) {
      // A refused key never recovers by waiting: FATAL; anything else may (ERROR, retried by the app).
      if ((error as { code?: string }).code === 'unauthorized')
        throw new ProviderFatalError((error as Error).message, { cause: error })
      throw new GeneralError((error as Error).message, { cause: error })
    }
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return resolveBoolean(this.client, flagKey, defaultValue, userFromContext(context))
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string): Promise<ResolutionDetails<string>> {
    return typeMismatch(flagKey, defaultValue, 'string')
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return typeMismatch(flagKey, defaultValue, 'number')
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): Promise<ResolutionDetails<T>> {
    return typeMismatch(flagKey, defaultValue, 'object')
  }

  track(trackingEventName: string, context: EvaluationContext, details: TrackingEventDetails): void {
    trackForGuard(
      this.client,
      {
        errorEvent: this.options.errorEvent ?? DEFAULT_ERROR_EVENT,
        durationEvent: this.options.durationEvent ?? DEFAULT_DURATION_EVENT,
        warn: (m) => console.warn(`canary-flags: ${m}`),
      },
      trackingEventName,
      userFromContext(context).user,
      details,
    )
  }

  async onClose(): Promise<void> {
    this.stopBridge?.()
    this.stopBridge = undefined
    if (this.owned) await this.client.close()
  }
}
