import {
  parseServerMessage,
  type ClientMessage,
  type MetricsBatch,
  type ServerMessage,
} from '../core/protocol.ts'
import { genericReason } from '../core/generic-reason.ts'
import type { EvalResult, User } from '../core/types.ts'
import { batchId } from './batch-id.ts'
import { answerOffset, armOffset, countError, countExposure, createCounters } from './counters.ts'
import { createEmitter } from './emitter.ts'
import { ClientError } from './errors.ts'
import { createMetricsReporter, type PostOutcome } from './metrics-reporter.ts'
import type { Answerer, Mode } from './mode.ts'
import { createPersister, type Persister } from './persister.ts'
import { createReadyGate } from './ready-gate.ts'
import type { StateCache } from './state-cache.ts'
import type { Connect, Transport } from './transport.ts'
import type {
  ClientEvents,
  ClientStatus,
  EvaluationDetails,
  FlagClient,
  Logger,
  ResolvedDetails,
} from './types.ts'

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

/** Answers that come from no evaluation: the caller's default stands. */
const usesDefault = (result: EvalResult) =>
  result.reason === 'unknown_flag' || result.reason === 'error' || result.reason === 'ERROR'

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
  let status: ClientStatus = 'not_ready'
  let hasState = false
  let connected = false
  let resyncing = false
  let cacheFailed = false
  let closing: Promise<void> | undefined
  let identified: Array<() => void> = []
  let transport: Transport | undefined

  /** Full result sets still owed for the hellos and identifies sent on this connection. */
  let fullSetsOwed = 0
  const readiness = createReadyGate()

  const report = (error: ClientError) => {
    if (events.count('error') === 0) logger.error?.(error.message, error)
    events.emit('error', error)
  }

  const reportCacheError = (error: unknown) => {
    logger.warn?.('flag cache failed', error)
    // Once: a read-only disk would otherwise report on every change.
    if (cacheFailed) return
    cacheFailed = true
    report(new ClientError('cache', 'the flag cache could not be used', { cause: error }))
  }

  const counters = createCounters(now())
  const metrics = createMetricsReporter({
    counters,
    now,
    newId: () => batchId(now(), random),
    send: (batch) => transport?.send({ type: 'metrics', batch }) ?? false,
    ...(postMetrics === undefined ? {} : { post: (batch) => postMetrics(batch, mode.counting === 'answers' ? user : undefined) }),
  })
  const offsetOf = mode.counting === 'answers' ? answerOffset : armOffset
  const persister: Persister | undefined =
    cache === undefined
      ? undefined
      : createPersister(cache, () => mode.dump(), deps.cacheDelayMs ?? 500, reportCacheError)

  /**
   * Per flag, what answers it and its counter slot, side by side: `isEnabled` is one map
   * lookup, one evaluation and one increment. Refreshed whenever the held state changes.
   */
  const entries = new Map<string, { answer: Answerer | undefined; slot: number }>()
  /** All entries after a whole new state; only `keys` after changes to some flags. */
  const refreshEntries = (keys?: Iterable<string>) => {
    if (keys === undefined) for (const entry of entries.values()) entry.answer = undefined
    for (const key of keys ?? mode.keys()) {
      let entry = entries.get(key)
      if (entry === undefined) entries.set(key, (entry = { answer: undefined, slot: counters.slot(key) }))
      entry.answer = mode.answerer(key)
    }
  }

  const gotState = () => {
    if (hasState) return
    hasState = true
    readiness.open()
    // Deferred so listeners added right after createClient still hear it.
    queueMicrotask(() => events.emit('ready'))
  }

  const setStatus = (next: ClientStatus) => {
    // Terminal states stay.
    if (status === 'closed' || status === 'fatal' || status === next) return
    status = next
    events.emit('status', next)
  }

  const load = (entry: unknown): boolean => {
    try {
      const loaded = mode.load(entry)
      refreshEntries()
      return loaded
    } catch (error) {
      logger.warn?.('ignored an unusable bootstrap or cache entry', error)
      return false
    }
  }

  const start = (bootstrap: unknown) => {
    let entry = bootstrap
    if (entry === undefined && cache !== undefined) {
      try {
        entry = cache.load()
      } catch (error) {
        queueMicrotask(() => reportCacheError(error))
      }
    }
    if (entry !== undefined && load(entry)) {
      setStatus('stale')
      gotState()
    }
  }

  const stopWaiting = () => {
    const waiting = identified
    identified = []
    for (const wake of waiting) wake()
  }

  /** Sends hello or identify; in results mode each is answered by one full result set. */
  const sendUserMessage = (message: ClientMessage) => {
    if (transport?.send(message)) fullSetsOwed++
  }

  /** The server and this client disagree on what was sent: ask again, or start over. */
  const resync = (why: string) => {
    logger.debug?.(`resync: ${why}`)
    if (!connected || transport === undefined) return
    if (resyncing) return transport.reconnect()
    resyncing = true
    sendUserMessage(mode.hello(sdkName))
  }

  const applyState = (message: ServerMessage) => {
    let applied
    try {
      applied = mode.apply(message)
    } catch (error) {
      // A frame that parsed but does not fit the held state (e.g. a malformed change).
      logger.debug?.('could not apply a server message', error)
      refreshEntries()
      return resync('a message could not be applied')
    }
    // Changes applied before a gap stand; answers follow the state actually held.
    const wholeState = message.type === 'snapshot' || (message.type === 'results' && message.full)
    refreshEntries(wholeState ? undefined : applied.keys)
    if (applied.resync) {
      resync(`${message.type} did not follow version ${mode.version}`)
    } else {
      resyncing = false
      setStatus('ready')
      gotState()
      // identify() waits for the answers for the new user: the full set that answers the last
      // identify, not one still in flight for an earlier hello.
      if (message.type === 'results' && message.full) {
        fullSetsOwed = Math.max(0, fullSetsOwed - 1)
        if (fullSetsOwed === 0) stopWaiting()
      }
    }
    persister?.schedule()
    if (applied.keys.length > 0) events.emit('change', applied.keys)
  }

  const onMessage = (text: string) => {
    const message = parseServerMessage(text)
    if (message === undefined) return resync('unparseable frame')
    if (message.type === 'pong') return
    if (message.type === 'metrics_ack') return metrics.ack(message.id)
    applyState(message)
  }

  /** The flag's entry with an answer, or undefined (not ready, or unknown flag: the default). */
  const answering = (flag: string) => {
    const entry = entries.get(flag)
    return entry?.answer === undefined ? undefined : (entry as { answer: Answerer; slot: number })
  }
  const unanswered = (): EvaluationDetails['reason'] => (hasState ? 'unknown_flag' : 'not_ready')

  const flushTimer = setInterval(() => metrics.flush(), deps.flushIntervalMs ?? 5000)

  start(deps.bootstrap)
  transport = deps.connect({
    open() {
      connected = true
      resyncing = false
      // Whatever the previous connection owed is lost with it.
      fullSetsOwed = 0
      sendUserMessage(mode.hello(sdkName))
      metrics.connected()
    },
    ping() {
      const version = mode.version
      return version === undefined ? { type: 'ping' } : { type: 'ping', version }
    },
    message: onMessage,
    down() {
      connected = false
      metrics.disconnected()
      setStatus(hasState ? 'stale' : 'not_ready')
      events.emit('disconnected')
    },
    fatal(error) {
      connected = false
      metrics.disconnected()
      setStatus('fatal')
      readiness.fail(error)
      stopWaiting()
      report(error)
    },
  })

  return {
    ready(options = {}) {
      return readiness.wait(options.timeoutMs)
    },

    isEnabled(flag, callUser, defaultValue = false) {
      try {
        const entry = entries.get(flag)
        if (entry === undefined) return defaultValue
        const answer = entry.answer
        if (answer === undefined) return defaultValue
        const result = answer.evaluate(callUser ?? user)
        countExposure(counters, entry.slot, offsetOf(result))
        return usesDefault(result) ? defaultValue : result.enabled
      } catch (error) {
        // Only a broken mode could get here; the contract is that isEnabled never throws.
        logger.debug?.('isEnabled failed', error)
        return defaultValue
      }
    },

    explain(flag, callUser, defaultValue = false): EvaluationDetails {
      try {
        const entry = answering(flag)
        if (entry === undefined) return { enabled: defaultValue, reason: unanswered() }
        // Not counted: explain is for debugging, and debugging must not feed the guard.
        const result = entry.answer.evaluate(callUser ?? user)
        if (!usesDefault(result) || result.enabled === defaultValue) return result
        return { enabled: defaultValue, reason: result.reason }
      } catch (error) {
        logger.debug?.('explain failed', error)
        return { enabled: defaultValue, reason: 'error' }
      }
    },

    resolve(flag, callUser, defaultValue = false): ResolvedDetails {
      try {
        const entry = answering(flag)
        if (entry === undefined) return { enabled: defaultValue, reason: unanswered(), generic: undefined }
        const answer = entry.answer
        const result = answer.evaluate(callUser ?? user)
        countExposure(counters, entry.slot, offsetOf(result))
        // Rules mode knows which cohorts are partial (SPLIT); a results-mode reason is generic already.
        const generic = genericReason(answer.generic?.(result).reason ?? result.reason, { split: false })
        return { enabled: usesDefault(result) ? defaultValue : result.enabled, reason: result.reason, generic }
      } catch (error) {
        logger.debug?.('resolve failed', error)
        return { enabled: defaultValue, reason: 'error', generic: 'ERROR' }
      }
    },

    recordError(flag, callUser) {
      try {
        // Re-evaluated rather than remembered: the same user and state give the same arm, and
        // nothing has to be kept per user.
        const entry = answering(flag)
        if (entry === undefined) return
        countError(counters, entry.slot, offsetOf(entry.answer.evaluate(callUser ?? user)))
        metrics.errorRecorded()
      } catch (error) {
        logger.debug?.('recordError failed', error)
      }
    },

    on(event, listener) {
      return events.on(event, listener)
    },

    identify(next) {
      user = next
      const message = mode.identify?.(next)
      if (message === undefined || status === 'closed' || status === 'fatal') {
        return Promise.resolve()
      }
      // Sent now when connected; otherwise the next hello carries the new user.
      sendUserMessage(message)
      return new Promise<void>((resolve) => identified.push(resolve))
    },

    close(options = {}) {
      closing ??= (async () => {
        clearInterval(flushTimer)
        metrics.flush()
        await metrics.settle(options.timeoutMs ?? 2000)
        transport?.close()
        connected = false
        await persister?.flush()
        setStatus('closed')
        readiness.fail(new ClientError('closed', 'the client was closed before it was ready'))
        stopWaiting()
      })()
      return closing
    },

    get version() {
      return mode.version
    },

    get status() {
      return status
    },
  }
}
