// Contract: sdk/SPEC.md §9 (metrics batches). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it, vi } from 'vitest'
import { ANSWER_COUNTING, ARM_COUNTING, armOffset, countDuration, countError, countExposure, createCounters } from '../../../sdk/client/counters.ts'
import { createMetricsReporter, type PostOutcome } from '../../../sdk/client/metrics-reporter.ts'
import { RESULTS, armOf } from '../../../sdk/core/evaluate.ts'
import type { MetricsBatch } from '../../../sdk/core/protocol.ts'
import type { EvalResult } from '../../../sdk/core/types.ts'

const on: EvalResult = { enabled: true, reason: 'cohort:beta' }

describe('armOffset', () => {
  it('agrees with armOf from sdk/core for every reason', () => {
    const results: EvalResult[] = [on, ...Object.values(RESULTS)]
    // An arm is its two named counters and its 12-bucket duration histogram.
    const expected = { canary: 0, control: 14, none: -1 }
    for (const result of results) expect(armOffset(result)).toBe(expected[armOf(result)])
  })
})

describe('createCounters', () => {
  it('drains non-zero flags only, zeroes the slots and chains the batch windows', () => {
    const counters = createCounters(100, ARM_COUNTING)
    counters.slot('quiet')
    const a = counters.slot('a')
    countExposure(counters, a, armOffset(on))
    countExposure(counters, a, armOffset(RESULTS.outsideRollout))
    countError(counters, a, armOffset(RESULTS.outsideRollout))
    countExposure(counters, a, armOffset(RESULTS.off))
    countError(counters, counters.slot('b'), armOffset(on))
    expect(counters.drain('x', 200)).toEqual({
      id: 'x',
      start: 100,
      end: 200,
      // b's error has no exposure in this batch: it waits (next test), the batch stays acceptable.
      flags: { a: { canary: { exposures: 1, errors: 0 }, control: { exposures: 1, errors: 1 } } },
    })
    expect(counters.drain('y', 300)).toBeUndefined()
    countExposure(counters, a, armOffset(on))
    expect(counters.drain('z', 400)).toMatchObject({ start: 300, end: 400, flags: { a: { canary: { exposures: 1, errors: 0 } } } })
  })

  it('carries errors and durations recorded after their exposure was flushed to the next batch with exposures of that arm', () => {
    const counters = createCounters(0, ARM_COUNTING)
    const a = counters.slot('a')
    countExposure(counters, a, armOffset(on))
    expect(counters.drain('x', 1)?.flags.a).toEqual({ canary: { exposures: 1, errors: 0 } })
    // The request fails and is timed after that flush: nothing to send on its own.
    countError(counters, a, armOffset(on))
    countError(counters, a, armOffset(on))
    countDuration(counters, a, armOffset(on), 3)
    countDuration(counters, a, armOffset(on), 700)
    expect(counters.drain('y', 2)).toBeUndefined()
    // One exposure next: one error and one duration go with it (never more than exposures).
    countExposure(counters, a, armOffset(on))
    expect(counters.drain('z', 3)?.flags.a).toEqual({ canary: { exposures: 1, errors: 1, durations: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] } })
    // A control exposure does not carry canary events.
    countExposure(counters, a, armOffset(RESULTS.outsideRollout))
    expect(counters.drain('w', 4)?.flags.a).toEqual({ control: { exposures: 1, errors: 0 } })
    countExposure(counters, a, armOffset(on))
    countExposure(counters, a, armOffset(on))
    expect(counters.drain('v', 5)?.flags.a).toEqual({ canary: { exposures: 2, errors: 1, durations: [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0] } })
    expect(counters.drain('u', 6)).toBeUndefined()
  })

  it('answer counting (results mode): one canary arm per slot, every answer counted, late events sent at once', () => {
    const counters = createCounters(0, ANSWER_COUNTING)
    expect(ANSWER_COUNTING.arms).toEqual(['canary'])
    const offset = ANSWER_COUNTING.offsetOf(RESULTS.off)
    expect(offset).toBe(ANSWER_COUNTING.offsetOf(on))
    const slots = Array.from({ length: 10 }, (_, i) => counters.slot(`f${i}`))
    slots.forEach((slot, i) => {
      for (let n = 0; n <= i; n++) countExposure(counters, slot, offset)
    })
    expect(counters.drain('x', 1)?.flags).toMatchObject({ f0: { canary: { exposures: 1, errors: 0 } }, f9: { canary: { exposures: 10, errors: 0 } } })
    // A client key's page may fail after the flush that carried its exposure: no carrying, the
    // server credits late events against that connection's earlier exposures.
    countError(counters, slots[3]!, offset)
    countDuration(counters, slots[3]!, offset, 700)
    expect(counters.drain('y', 2)).toEqual({
      id: 'y',
      start: 1,
      end: 2,
      flags: { f3: { canary: { exposures: 0, errors: 1, durations: [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0] } } },
    })
  })

  it('reports durations as a histogram beside the counts, only for arms that timed something', () => {
    const counters = createCounters(0, ARM_COUNTING)
    const a = counters.slot('a')
    countExposure(counters, a, armOffset(on))
    countExposure(counters, a, armOffset(on))
    countExposure(counters, a, armOffset(RESULTS.outsideRollout))
    countDuration(counters, a, armOffset(on), 3) // ≤ 5 ms: bucket 0
    countDuration(counters, a, armOffset(on), 500) // exactly on a bound: that bound's bucket (6)
    countDuration(counters, a, armOffset(RESULTS.off), 700) // neither arm: not counted
    expect(counters.drain('x', 1)?.flags.a).toEqual({
      canary: { exposures: 2, errors: 0, durations: [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0] },
      control: { exposures: 1, errors: 0 },
    })
    countExposure(counters, a, armOffset(on))
    countDuration(counters, a, armOffset(on), 60_000) // slower than every bound: the overflow bucket
    expect(counters.drain('y', 2)?.flags.a).toEqual({ canary: { exposures: 1, errors: 0, durations: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] } })
  })

  it('counts nothing for evaluations in neither arm', () => {
    const counters = createCounters(0, ARM_COUNTING)
    const slot = counters.slot('a')
    for (const result of [RESULTS.unknownFlag, RESULTS.off, RESULTS.noMatch, RESULTS.error, RESULTS.missingStickiness]) {
      countExposure(counters, slot, armOffset(result))
      countError(counters, slot, armOffset(result))
    }
    expect(counters.drain('x', 1)).toBeUndefined()
  })

  it('counts without allocating once the slot exists', () => {
    const counters = createCounters(0, ARM_COUNTING)
    const slot = counters.slot('a')
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < 1_000_000; i++) countExposure(counters, slot, armOffset(on))
    const grown = process.memoryUsage().heapUsed - before
    // A million allocations of even a small object would be tens of megabytes.
    expect(grown).toBeLessThan(4 * 1024 * 1024)
    expect(counters.drain('x', 1)?.flags.a).toEqual({ canary: { exposures: 1_000_000, errors: 0 } })
  })
})

function reporter(
  options: { send?: (b: MetricsBatch) => boolean; post?: (b: MetricsBatch) => Promise<PostOutcome>; limit?: number; now?: () => number } = {},
) {
  const counters = createCounters(0, ARM_COUNTING)
  let ids = 0
  const sent: MetricsBatch[] = []
  const metrics = createMetricsReporter({
    counters,
    now: options.now ?? (() => 1),
    newId: () => `batch-${++ids}`,
    send:
      options.send ??
      ((batch) => {
        sent.push(batch)
        return true
      }),
    ...(options.post === undefined ? {} : { post: options.post }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  })
  return { counters, metrics, sent }
}

describe('createMetricsReporter', () => {
  it('flushes early, at most once a second, when errors arrive at more than twice the last interval\'s pace', () => {
    let clock = 0
    const { counters, metrics, sent } = reporter({ now: () => clock })
    metrics.connected()
    const slot = counters.slot('a')
    const errorsEvery = (ms: number, count: number) => {
      for (let i = 0; i < count; i++) {
        clock += ms
        countExposure(counters, slot, armOffset(on))
        countError(counters, slot, armOffset(on))
        metrics.errorRecorded()
      }
    }
    // The first errors after a quiet start are news: flushed once 5 have come and 1 s has passed.
    errorsEvery(500, 4)
    expect(sent).toHaveLength(0)
    errorsEvery(500, 1)
    expect(sent).toHaveLength(1)
    // The same pace (one per 500 ms) again is no news: the interval runs its course.
    errorsEvery(500, 10)
    expect(sent).toHaveLength(1)
    metrics.flush()
    expect(sent).toHaveLength(2)
    // A regression: one error per 20 ms. Not before a second has passed, then at once.
    errorsEvery(20, 49)
    expect(sent).toHaveLength(2)
    errorsEvery(20, 1)
    expect(sent).toHaveLength(3)
    expect(sent[2]!.flags.a).toMatchObject({ canary: { errors: 50 } })
  })

  it('keeps at most `limit` unacknowledged batches, dropping the oldest', () => {
    const { counters, metrics, sent } = reporter({ limit: 3 })
    metrics.connected()
    for (let i = 0; i < 5; i++) {
      countExposure(counters, counters.slot('a'), armOffset(on))
      metrics.flush()
    }
    expect(metrics.pending).toBe(3)
    metrics.disconnected()
    metrics.connected()
    expect(sent.slice(5).map((b) => b.id)).toEqual(['batch-3', 'batch-4', 'batch-5'])
  })

  it('settle() resolves on the last acknowledgement', async () => {
    const { counters, metrics, sent } = reporter()
    metrics.connected()
    countExposure(counters, counters.slot('a'), armOffset(on))
    metrics.flush()
    let settled = false
    const waiting = metrics.settle(10_000).then(() => (settled = true))
    await Promise.resolve()
    expect(settled).toBe(false)
    metrics.ack(sent[0]!.id)
    await waiting
    expect(metrics.pending).toBe(0)
  })

  it('settle() gives up after its timeout when no acknowledgement comes', async () => {
    const { counters, metrics } = reporter()
    metrics.connected()
    countExposure(counters, counters.slot('a'), armOffset(on))
    metrics.flush()
    await metrics.settle(5)
    expect(metrics.pending).toBe(1)
  })

  it('drops a batch the server refused for good and keeps going', async () => {
    const outcomes: PostOutcome[] = ['drop', 'delivered']
    const post = vi.fn(async () => outcomes.shift() ?? 'retry')
    const { counters, metrics } = reporter({ post })
    countExposure(counters, counters.slot('a'), armOffset(on))
    metrics.flush()
    countExposure(counters, counters.slot('a'), armOffset(on))
    metrics.flush()
    await metrics.settle(1000)
    expect(metrics.pending).toBe(0)
  })

  it('treats a throwing HTTP fallback as retryable', async () => {
    const post = vi.fn(async (): Promise<PostOutcome> => {
      throw new Error('network down')
    })
    const { counters, metrics } = reporter({ post })
    countExposure(counters, counters.slot('a'), armOffset(on))
    metrics.flush()
    await metrics.settle(1000)
    expect(metrics.pending).toBe(1)
  })
})
