import { describe, expect, it } from 'vitest'
import { validateBatch } from '../../../server/guard/metrics-batch.ts'

const all = () => true
/** An arm's evidence with no durations reported. */
const arm = (exposures: number, errors: number) => ({ exposures, errors, timed: 0, slow: 0 })
/** A 12-bucket histogram (bounds 5 … 10000 ms, then slower) with `n` requests at bucket `i`. */
const histogram = (entries: Record<number, number>) => Array.from({ length: 12 }, (_, i) => entries[i] ?? 0)
const batch = (flags: Record<string, unknown>) => ({ id: 'b1', start: 0, end: 1, flags })

describe('the one metrics-batch validation', () => {
  it('reads named counters per arm as evidence', () => {
    const { known } = validateBatch(batch({ a: { canary: { exposures: 5, errors: 1 }, control: { exposures: 7 } } }), all)
    expect(known).toEqual([['a', { canary: arm(5, 1), control: arm(7, 0) }]])
  })

  it('still accepts the four numbers older SDKs send', () => {
    const { known } = validateBatch(batch({ a: [5, 1, 7, 2] }), all)
    expect(known).toEqual([['a', { canary: arm(5, 1), control: arm(7, 2) }]])
  })

  it('accepts and ignores counters and arms it does not know instead of refusing the batch', () => {
    const { known } = validateBatch(
      batch({ a: { canary: { exposures: 5, errors: 1, latencyMs: 123_456_789, p99: 'slow' }, holdout: { exposures: 3 } } }),
      all,
    )
    expect(known).toEqual([['a', { canary: arm(5, 1), control: arm(0, 0) }]])
  })

  it('refuses more errors than exposures in an arm, naming the field, in either form', () => {
    expect(() => validateBatch(batch({ a: { control: { exposures: 1, errors: 2 } } }), all)).toThrow(
      /batch\.flags\.a\.control\.errors: control errors must not exceed control exposures/,
    )
    expect(() => validateBatch(batch({ a: [1, 2, 0, 0] }), all)).toThrow(/batch\.flags\.a\.1: canary errors must not exceed canary exposures/)
  })

  it('refuses a known counter that is not a count', () => {
    expect(() => validateBatch(batch({ a: { canary: { exposures: 0.5 } } }), all)).toThrow(/batch\.flags\.a\.canary\.exposures/)
  })

  it("turns a duration histogram into timed and slow counts against the flag's latency bound", () => {
    // Bucket 6 holds 250 < ms ≤ 500, bucket 7 500 < ms ≤ 1000, bucket 11 everything over 10 s.
    const flags = { a: { canary: { exposures: 10, errors: 0, durations: histogram({ 0: 3, 6: 2, 7: 1, 11: 1 }) } } }
    const bounded = validateBatch(batch(flags), all, (flag) => (flag === 'a' ? 500 : undefined))
    expect(bounded.known[0]![1].canary).toEqual({ exposures: 10, errors: 0, timed: 7, slow: 2 })
    // Without a latency rule nothing is slow, but the timed requests are still counted.
    expect(validateBatch(batch(flags), all).known[0]![1].canary).toEqual({ exposures: 10, errors: 0, timed: 7, slow: 0 })
  })

  it('never takes timed or slow counts from the wire: only a histogram makes them', () => {
    const { known } = validateBatch(batch({ a: { canary: { exposures: 5, errors: 0, timed: 5, slow: 5 } } }), all, () => 500)
    expect(known[0]![1].canary).toEqual(arm(5, 0))
  })

  it('refuses a histogram with more requests than exposures, or of the wrong length, naming the field', () => {
    expect(() => validateBatch(batch({ a: { control: { exposures: 2, durations: histogram({ 0: 2, 9: 1 }) } } }), all)).toThrow(
      /batch\.flags\.a\.control\.durations: control durations must not add up to more than control exposures/,
    )
    expect(() => validateBatch(batch({ a: { canary: { exposures: 2, durations: [1, 1] } } }), all)).toThrow(
      /batch\.flags\.a\.canary\.durations: must have 12 counts/,
    )
    expect(() => validateBatch(batch({ a: { canary: { exposures: 2, durations: histogram({ 3: 0.5 }) } } }), all)).toThrow(
      /batch\.flags\.a\.canary\.durations\.3/,
    )
  })
})
