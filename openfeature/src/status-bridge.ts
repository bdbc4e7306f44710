import type { ClientError, FlagClient } from '@canary-flags/sdk'
import type { ErrorCode, EventContext } from '@openfeature/core'

/** The provider events the SDK client's own events turn into. */
export type BridgedEvent =
  | { type: 'changed'; flagsChanged: string[] }
  | { type: 'stale'; message: string }
  | { type: 'ready'; message: string }
  | { type: 'fatal'; message: string; error: ClientError }

/** How long a lost connection may last before the provider says its answers are STALE. Default. */
export const DEFAULT_STALE_AFTER_MS = 5_000

/**
 * Turns the SDK client's events into provider events: a change is CONFIGURATION_CHANGED with
 * the changed keys; a connection lost for longer than `staleAfterMs` is STALE (a blip that
 * reconnects within it says nothing, as answers were never really out of date); being back in
 * sync after that is READY; a refused or revoked key is a fatal ERROR. Returns the unsubscribe.
 *
 * @example
 * const stop = bridgeStatus(client, (event) => emitter.emit(map(event)), { staleAfterMs: 5000 })
 */
export function bridgeStatus(
  client: FlagClient,
  emit: (event: BridgedEvent) => void,
  options: { staleAfterMs?: number | undefined } = {},
): () => void {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS
  let timer: ReturnType<typeof setTimeout> | undefined
  let stale = false
  const stopTimer = () => {
    clearTimeout(timer)
    timer = undefined
  }
  const offs = [
    client.on('change', (keys) => emit({ type: 'changed', flagsChanged: keys })),
    client.on('disconnected', () => {
      if (stale || timer !== undefined) return
      timer = setTimeout(() => {
        timer = undefined
        if (client.status !== 'stale' && client.status !== 'not_ready') return
        stale = true
        emit({ type: 'stale', message: `no connection to the flag server for ${staleAfterMs} ms; answering from the last known state` })
      }, staleAfterMs)
    }),
    client.on('status', (status) => {
      if (status !== 'ready') return
      stopTimer()
      if (!stale) return
      stale = false
      emit({ type: 'ready', message: 'reconnected and in sync with the flag server' })
    }),
    client.on('error', (error) => {
      if (error.code !== 'unauthorized') return
      stopTimer()
      emit({ type: 'fatal', message: error.message, error })
    }),
  ]
  return () => {
    stopTimer()
    for (const off of offs) off()
  }
}

/** The provider events a bridged event becomes, by their enum names (the same in both SDKs). */
export interface ProviderEventNames<E> {
  ConfigurationChanged: E
  Stale: E
  Ready: E
  Error: E
}

/** A provider's event emitter, as far as the bridge uses it. */
export interface ProviderEventSink<E> {
  emit(eventType: E, context?: EventContext): void
}

/**
 * Emits bridged events as one OpenFeature SDK's provider events. The server and web SDKs each
 * declare their own `ProviderEvents` enum and emitter (same names, different types), so each
 * provider binds its own once; the mapping itself is written only here.
 *
 * @example
 * const emitBridged = providerEventEmitter(ProviderEvents, ErrorCode.PROVIDER_FATAL)
 * bridgeStatus(client, (event) => emitBridged(this.events, event))
 */
export function providerEventEmitter<E>(names: ProviderEventNames<E>, fatalCode: ErrorCode) {
  return (events: ProviderEventSink<E>, event: BridgedEvent): void => {
    switch (event.type) {
      case 'changed':
        return events.emit(names.ConfigurationChanged, { flagsChanged: event.flagsChanged })
      case 'stale':
        return events.emit(names.Stale, { message: event.message })
      case 'ready':
        return events.emit(names.Ready, { message: event.message })
      case 'fatal':
        return events.emit(names.Error, { message: event.message, errorCode: fatalCode })
    }
  }
}
