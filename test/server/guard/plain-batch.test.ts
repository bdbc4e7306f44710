import { describe, expect, it } from 'vitest'
import type { BatchContext, ValidBatch } from '../../../server/guard/batch-shape.ts'
import { validateBatch, validateBatchBySchema } from '../../../server/guard/metrics-batch.ts'
import { readPlainBatch } from '../../../server/guard/plain-batch.ts'
import { seededRandom } from '../../helpers/random.ts'

/**
 * The metrics-batch fast path (plain-batch.ts) against the schema it stands in for: on every
 * input, either the fast path leaves it to the schema (`undefined`), or the schema accepts it and
 * gives the very same result. Inputs are generated, mostly near-valid, so both sides of every
 * rule (types, ranges, lengths, events within exposures, histograms, unknown keys) come up.
 */

const context = (overrides: Partial<BatchContext> = {}): BatchContext => ({
  flagExists: (flag) => flag.startsWith('a'),
  slowerThanMs: (flag) => (flag.endsWith('1') ? 500 : undefined),
  lateEvents: false,
  ...overrides,
})

type Outcome = { ok: true; value: ValidBatch } | { ok: false; message: string }
function bySchema(value: unknown, ctx: BatchContext): Outcome {
  try {
    return { ok: true, value: validateBatchBySchema(value, ctx) }
  } catch (error) {
    return { ok: false, message: (error as Error).message }
  }
}

/**
 * Near-valid inputs from a seed: each choice is usually the valid one and sometimes a wrong one.
 * `___proto___` stands for a `__proto__` key (assigning that name would set the prototype).
 */
function generator(seed: number) {
  const random = seededRandom(seed)
  const pick = (...options: unknown[]): unknown => options[Math.floor(random() * options.length)]
  const pickKey = (...options: string[]): string => options[Math.floor(random() * options.length)]!
  const often = () => random() < 0.9
  const count = (): unknown => (often() ? Math.floor(random() * 20) : pick(-1, 0.5, 10_000_000, 10_000_001, '3', null, true, 1e300))
  const histogram = (): unknown =>
    often() ? Array.from({ length: 12 }, () => (random() < 0.7 ? 0 : count())) : pick([1, 2], Array(13).fill(0), 'fast', { 0: 1 }, null)
  const arm = (): unknown => {
    if (!often()) return pick(null, [], 'arm', 7)
    const out: Record<string, unknown> = {}
    if (often()) out.exposures = count()
    if (random() < 0.6) out.errors = count()
    if (random() < 0.3) out.durations = histogram()
    if (random() < 0.1) out[pickKey('timed', 'slow', 'p99', 'latencyMs', 'constructor', '___proto___')] = count()
    return out
  }
  const counts = (): unknown => {
    if (random() < 0.45) return often() ? [count(), count(), count(), count()] : pick([1, 0, 2], [1, 0, 2, 0, 1], [], 'x', null)
    if (!often()) return pick(null, 'counts', 12, true)
    const out: Record<string, unknown> = {}
    if (often()) out.canary = arm()
    if (often()) out.control = arm()
    if (random() < 0.1) out[pickKey('holdout', 'constructor', '___proto___')] = arm()
    return out
  }
  const flagKey = () => (often() ? `${pick('a', 'b')}-${Math.floor(random() * 30)}` : pickKey('', 'x'.repeat(128), 'y'.repeat(129), 'constructor', '___proto___', 'toString', '0', '17'))
  return (): unknown => {
    if (random() < 0.03) return pick(null, [], 'batch', 3)
    const batch: Record<string, unknown> = {}
    if (often() || often()) batch.id = often() ? `b-${Math.floor(random() * 1e6)}` : pick('', 'z'.repeat(128), 'z'.repeat(129), 5, null)
    if (often() || often()) batch.start = often() ? 1_700_000_000_000 : pick('0', null, -5, 1.5)
    if (often() || often()) batch.end = often() ? 1_700_000_005_000 : pick('0', null, 0)
    if (random() < 0.04) batch[pickKey('extra', 'user', '___proto___')] = 1
    if (often() || often()) {
      if (often()) {
        const flags: Record<string, unknown> = {}
        const n = Math.floor(random() * 6)
        for (let i = 0; i < n; i++) flags[flagKey()] = counts()
        batch.flags = flags
      } else batch.flags = pick(null, [], 'flags', [[1, 0, 0, 0]])
    }
    // Through JSON, as every transport receives it: `__proto__` becomes an own key there.
    return JSON.parse(JSON.stringify(batch).replace(/"___proto___"/g, '"__proto__"'))
  }
}

describe('the metrics-batch fast path against the schema', () => {
  it('on 12,000 generated inputs, accepts only what the schema accepts, with the same result', () => {
    let fast = 0
    let accepted = 0
    let refused = 0
    for (const seed of [1, 2, 3, 4]) {
      const next = generator(seed)
      for (let i = 0; i < 3000; i++) {
        const value = next()
        const ctx = context({ lateEvents: i % 3 === 0 })
        const schema = bySchema(value, ctx)
        const plain = readPlainBatch(value, ctx)
        if (schema.ok) accepted++
        else refused++
        if (plain === undefined) continue
        fast++
        expect(schema, JSON.stringify(value)).toMatchObject({ ok: true })
        // Same values in the same key order (the batch is stored and echoed as JSON).
        expect(JSON.stringify(plain), JSON.stringify(value)).toBe(JSON.stringify((schema as { value: ValidBatch }).value))
      }
    }
    // Both outcomes came up often, and the fast path took most accepted batches.
    expect(refused).toBeGreaterThan(1500)
    expect(accepted).toBeGreaterThan(1500)
    expect(fast).toBeGreaterThan(accepted * 0.6)
  })

  it('takes the batches SDKs send: the four numbers, named counters, histograms and late events', () => {
    const flags = {
      'a-1': [5, 1, 7, 2],
      'a-2': { canary: { exposures: 5, errors: 1 }, control: { exposures: 7 } },
      'a-11': { canary: { exposures: 10, errors: 0, durations: [3, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 1] } },
      'b-1': [1, 0, 0, 0],
    }
    const plain = readPlainBatch({ id: 'b1', start: 0, end: 1, flags }, context())
    expect(plain?.unknownFlags).toBe(1)
    expect(plain?.known.map(([flag]) => flag)).toEqual(['a-1', 'a-2', 'a-11'])
    // 'a-11' has a latency bound of 500 ms: buckets over 500 ms (7 and 11) are slow.
    expect(plain?.batch.flags['a-11']!.canary).toEqual({ exposures: 10, errors: 0, timed: 7, slow: 2 })
    const late = { id: 'b2', start: 0, end: 1, flags: { 'a-1': { canary: { exposures: 0, errors: 1 } } } }
    expect(readPlainBatch(late, context({ lateEvents: true }))?.known).toEqual([['a-1', { canary: { exposures: 0, errors: 1, timed: 0, slow: 0 }, control: { exposures: 0, errors: 0, timed: 0, slow: 0 } }]])
    expect(readPlainBatch(late, context())).toBeUndefined()
  })

  it('leaves a refused batch to the schema, whose field-named message validateBatch throws', () => {
    const bad = { id: 'b1', start: 0, end: 1, flags: { a: [1, 2, 0, 0] } }
    expect(readPlainBatch(bad, context())).toBeUndefined()
    expect(() => validateBatch(bad, () => true)).toThrow('batch.flags.a.1: canary errors must not exceed canary exposures')
  })
})
