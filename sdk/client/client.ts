import type { MetricsBatch } from '../core/protocol.ts'
import type { User } from '../core/types.ts'
import { createAnswers } from './answers.ts'
import { batchId } from './batch-id.ts'
import {
  INITIAL_CONNECTION_STATE,
  isTerminal,
  reduceConnection,
  type ConnectionEvent,
  type ConnectionState,
} from './connection-state.ts'
import { createCounters } from './counters.ts'
import { createEmitter, type Emitter } from './emitter.ts'
import { ClientError } from './errors.ts'
import { createMetricsReporter, type PostOutcome } from './metrics-reporter.ts'
import type { Mode } from './mode.ts'
import { createPersister, type Persister } from './persister.ts'
import { createReadyGate, type ReadyGate } from './ready-gate.ts'
import type { StateCache } from './state-cache.ts'
import { createSync } from './sync.ts'
import type { Connect, Transport } from './transport.ts'
import type { ClientEvents, FlagClient, Logger } from './types.ts'
import { createUnknownFlags } from './unknown-flags.ts'

export interface ClientDeps {
  mode: Mode
  connect: Connect
  sdkName: string
  user?: User
  bootstrap?: unknown
  cache?: StateCache
  /** The HTTP fallback for guard counts while the socket is down. */
  postMetrics?: (batch: MetricsBatch, user?: User) => Promise<PostOutcome>
  onError?: (error: ClientError) => void
  logger?: Logger
  flushIntervalMs?: number
  /** Debounce of cache writes. Default 500 ms. */
  cacheDelayMs?: number
  now?: () => number
  random?: () => number
}

const EMPTY_USER: User = Object.freeze({})

/**
 * The client proper, on top of an injected mode (rules or results) and transport, so the same
 * sequencing runs in Node, in browsers and in tests. It applies server messages in version
 * order and resyncs on a gap, answers from memory, counts exposures and errors for the guard,
 * and reports them in batches.
 *
 * @example
 * const flags = createFlagClient({ mode: createRulesMode(), connect, sdkName: 'my-sdk' })
 * await flags.ready({ timeoutMs: 2000 })
 * flags.isEnabled('checkout-v2', { userId: 'u1' })
 */
export function createFlagClient(deps: ClientDeps): FlagClient {
  // Closures below read these locals, never `deps`: capturing `deps` would keep the bootstrap
  // snapshot (the raw flag states) alive for the client's lifetime beside the compiled flags.
  const { mode, sdkName, postMetrics, cache } = deps
  const now = deps.now ?? Date.now
  const random = deps.random ?? Math.random
  // Warnings and errors reach the console unless the application routes them elsewhere: a
  // refused key with no 'error' listener must not go unnoticed.
  const logger: Logger = deps.logger ?? { warn: console.warn, error: console.error }
  const events = createEmitter<ClientEvents>((error) => logger.error?.('a listener threw', error))
  if (deps.onError !== undefined) events.on('error', deps.onError)

  let user = deps.user ?? EMPTY_USER
  let closing: Promise<void> | undefined
  let identified: Array<() => void> = []
  let transport: Transport | undefined
  const readiness = createReadyGate()

  const connection = connectionStatus(events, readiness)

  const report = (error: ClientError) => {
    if (events.count('error') === 0) logger.error?.(error.message, error)
    events.emit('error', error)
  }
  const reportCacheError = onceReporter(logger, report)

  const counters = createCounters(now(), mode.counting)
  const metrics = createMetricsReporter({
    counters,
    now,
    newId: () => batchId(now(), random),
    send: (batch) => transport?.send({ type: 'metrics', batch }) ?? false,
    ...(postMetrics === undefined ? {} : { post: (batch) => postMetrics(batch, mode.counting.kind === 'answers' ? user : undefined) }),
  })
  const persister: Persister | undefined =
    cache === undefined
      ? undefined
      : createPersister(cache, () => mode.dump(), deps.cacheDelayMs ?? 500, reportCacheError)
  const answers = createAnswers({
    mode,
    counters,
    logger,
    user: () => user,
    hasState: () => connection.state.hasState,
    errorRecorded: () => metrics.errorRecorded(),
    now,
    unknownFlag: createUnknownFlags({
      logger,
      emit: (flag) => events.emit('unknownFlag', flag),
      mention: (flag) => counters.mention(flag),
    }),
  })

  const stopWaiting = () => {
    const waiting = identified
    identified = []
    for (const wake of waiting) wake()
  }

  const sync = createSync({
    mode,
    sdkName,
    logger,
    answers,
    metrics,
    persister,
    transport: () => transport,
    dispatch: connection.dispatch,
    state: () => connection.state,
    changed: (keys) => events.emit('change', keys),
    identified: stopWaiting,
  })

  const flushTimer = setInterval(() => metrics.flush(), deps.flushIntervalMs ?? 5000)

  if (loadInitialState({ mode, cache, bootstrap: deps.bootstrap, logger, reportCacheError })) {
    answers.refresh()
    connection.dispatch({ type: 'state_loaded' })
  }
  transport = deps.connect({
    open: sync.opened,
    // Before any state `version` is undefined, which JSON leaves out: `{"type":"ping"}`.
    ping: () => ({ type: 'ping', version: mode.version }),
    message: sync.message,
    down() {
      metrics.disconnected()
      connection.dispatch({ type: 'lost' })
      events.emit('disconnected')
    },
    fatal(error) {
      metrics.disconnected()
      connection.dispatch({ type: 'refused' })
      readiness.fail(error)
      stopWaiting()
      report(error)
    },
  })

  // The answering methods as they are (isEnabled, explain, resolve, record…, run); `refresh` is
  // the client's own.
  const { refresh: _refresh, ...answering } = answers
  return {
    ...answering,
    ready(options = {}) {
      return readiness.wait(options.timeoutMs)
    },
    on(event, listener) {
      return events.on(event, listener)
    },

    identify(next) {
      user = next
      const message = mode.identify?.(next)
      if (message === undefined || isTerminal(connection.state.status)) return Promise.resolve()
      // Sent now when connected; otherwise the next hello carries the new user.
      sync.sendUserMessage(message)
      return new Promise<void>((resolve) => identified.push(resolve))
    },

    close(options = {}) {
      closing ??= (async () => {
        clearInterval(flushTimer)
        metrics.flush()
        await metrics.settle(options.timeoutMs ?? 2000)
        transport?.close()
        connection.dispatch({ type: 'stopped' })
        await persister?.flush()
        connection.dispatch({ type: 'closed' })
        readiness.fail(new ClientError('closed', 'the client was closed before it was ready'))
        stopWaiting()
      })()
      return closing
    },

    get version() {
      return mode.version
    },

    get status() {
      return connection.state.status
    },
  }
}

/**
 * The client's connection state and what announces its changes: a `status` event whenever the
 * status changes, and the ready gate plus a `ready` event once some flag state is held.
 */
function connectionStatus(events: Emitter<ClientEvents>, readiness: ReadyGate) {
  let state: ConnectionState = INITIAL_CONNECTION_STATE
  return {
    get state() {
      return state
    },
    /** Applies `event` and announces what changed; returns the state before it. */
    dispatch(event: ConnectionEvent): ConnectionState {
      const before = state
      state = reduceConnection(before, event)
      if (state.status !== before.status) events.emit('status', state.status)
      if (state.hasState && !before.hasState) {
        readiness.open()
        // Deferred so listeners added right after createClient still hear it.
        queueMicrotask(() => events.emit('ready'))
      }
      return before
    },
  }
}

/** Reports a cache failure once: a read-only disk would otherwise report on every change. */
function onceReporter(logger: Logger, report: (error: ClientError) => void) {
  let failed = false
  return (error: unknown) => {
    logger.warn?.('flag cache failed', error)
    if (failed) return
    failed = true
    report(new ClientError('cache', 'the flag cache could not be used', { cause: error }))
  }
}

/**
 * Takes state from the bootstrap, else the cache, before any connection: true when the mode now
 * holds some. An unusable entry is logged and ignored; a failing cache is reported (deferred, so
 * an `error` listener added right after createClient hears it).
 */
function loadInitialState(options: {
  mode: Mode
  cache: StateCache | undefined
  bootstrap: unknown
  logger: Logger
  reportCacheError: (error: unknown) => void
}): boolean {
  const { mode, cache, logger, reportCacheError } = options
  let entry = options.bootstrap
  if (entry === undefined && cache !== undefined) {
    try {
      entry = cache.load()
    } catch (error) {
      queueMicrotask(() => reportCacheError(error))
    }
  }
  if (entry === undefined) return false
  try {
    return mode.load(entry)
  } catch (error) {
    logger.warn?.('ignored an unusable bootstrap or cache entry', error)
    return false
  }
}
