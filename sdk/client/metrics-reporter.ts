import type { MetricsBatch } from '../core/protocol.ts'
import type { Counters } from './counters.ts'

/** What became of one HTTP fallback attempt. */
export type PostOutcome = 'delivered' | 'retry' | 'drop'

export interface MetricsReporterOptions {
  counters: Counters
  now: () => number
  newId: () => string
  /** Sends a batch over the live socket; false when there is none. */
  send: (batch: MetricsBatch) => boolean
  /** The HTTP fallback, used while the socket is down. */
  post?: (batch: MetricsBatch) => Promise<PostOutcome>
  /** Unacknowledged batches kept for resending; the oldest go first. Default 100. */
  limit?: number
}

export interface MetricsReporter {
  /** Moves the current counts into a batch and delivers everything pending. */
  flush(): void
  /**
   * An error was recorded: flushes early (at most once a second) when errors are arriving at
   * more than twice the previous interval's pace, so a regression reaches the guard in about a
   * second instead of waiting out the interval. Steady error rates keep the normal interval.
   */
  errorRecorded(): void
  /** A new connection is up: every pending batch goes out again on it. */
  connected(): void
  disconnected(): void
  /** The server ingested this batch; it is never sent again. */
  ack(id: string): void
  /** Resolves when every pending batch is delivered, or after `timeoutMs` (for `close()`). */
  settle(timeoutMs: number): Promise<void>
  readonly pending: number
}

interface Entry {
  batch: MetricsBatch
  /** The connection this batch was last sent on; a batch goes out once per connection. */
  sentOn: number
}

/**
 * Delivers guard counts at least once: each batch stays pending until the server acknowledges
 * it (socket) or accepts it (HTTP), and is resent on every new connection until then. The
 * server ingests a batch id once, so resending never double-counts; the bound keeps a long
 * outage from growing memory.
 *
 * @example
 * const reporter = createMetricsReporter({ counters, now: Date.now, newId, send, post })
 * setInterval(() => reporter.flush(), 5000)
 */
/** An early flush waits at least this long after the last one, and needs this many errors. */
const EARLY_FLUSH_AFTER_MS = 1000
const EARLY_FLUSH_MIN_ERRORS = 5

export function createMetricsReporter(options: MetricsReporterOptions): MetricsReporter {
  const limit = options.limit ?? 100
  const pending = new Map<string, Entry>()
  const waiters = new Set<() => void>()
  let connection = 0
  let up = false
  let posting: Promise<void> | undefined
  let intervalStart = options.now()
  let errors = 0
  /** Errors per ms in the previous interval: the pace a regression is measured against. */
  let previousPace = 0

  const settled = () => {
    if (pending.size > 0) return
    for (const wake of waiters) wake()
    waiters.clear()
  }

  const sendPending = () => {
    for (const entry of pending.values()) {
      if (entry.sentOn === connection) continue
      if (!options.send(entry.batch)) return
      entry.sentOn = connection
    }
  }

  const postPending = (): Promise<void> => {
    const post = options.post
    if (post === undefined || pending.size === 0) return Promise.resolve()
    posting ??= (async () => {
      // The live map: batches flushed while a post is in flight are posted in the same run.
      for (const [id, entry] of pending) {
        // The socket came back: it delivers the rest, with acknowledgements.
        if (up) return
        const outcome = await post(entry.batch).catch((): PostOutcome => 'retry')
        if (outcome === 'retry') return
        // 'drop': the server refused the batch for good (e.g. malformed); resending cannot help.
        pending.delete(id)
      }
    })().finally(() => {
      posting = undefined
      settled()
    })
    return posting
  }

  const deliver = () => {
    if (up) sendPending()
    else void postPending()
  }

  return {
    flush() {
      const now = options.now()
      previousPace = errors / Math.max(1, now - intervalStart)
      intervalStart = now
      errors = 0
      const batch = options.counters.drain(options.newId(), now)
      if (batch !== undefined) {
        pending.set(batch.id, { batch, sentOn: -1 })
        for (const id of pending.keys()) {
          if (pending.size <= limit) break
          pending.delete(id)
        }
      }
      deliver()
    },
    errorRecorded() {
      errors++
      const elapsed = options.now() - intervalStart
      if (elapsed >= EARLY_FLUSH_AFTER_MS && errors >= EARLY_FLUSH_MIN_ERRORS && errors / elapsed > 2 * previousPace) this.flush()
    },
    connected() {
      up = true
      connection++
      sendPending()
    },
    disconnected() {
      up = false
    },
    ack(id) {
      if (pending.delete(id)) settled()
    },
    settle(timeoutMs) {
      if (pending.size === 0) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          waiters.delete(done)
          resolve()
        }
        const timer = setTimeout(done, timeoutMs)
        waiters.add(done)
        // Without a socket no acknowledgement can come: one HTTP attempt is all there is.
        if (!up) void postPending().then(done)
      })
    },
    get pending() {
      return pending.size
    },
  }
}
