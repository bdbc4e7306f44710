import { describe, expect, it } from 'vitest'
import { validateBatch } from '../../../server/guard/metrics-batch.ts'

const all = () => true
const batch = (flags: Record<string, unknown>) => ({ id: 'b1', start: 0, end: 1, flags })

describe('the one metrics-batch validation', () => {
  it('reads named counters per arm as evidence', () => {
    const { known } = validateBatch(batch({ a: { canary: { exposures: 5, errors: 1 }, control: { exposures: 7 } } }), all)
    expect(known).toEqual([['a', { canary: { exposures: 5, errors: 1 }, control: { exposures: 7, errors: 0 } }]])
  })

  it('still accepts the four numbers older SDKs send', () => {
    const { known } = validateBatch(batch({ a: [5, 1, 7, 2] }), all)
    expect(known).toEqual([['a', { canary: { exposures: 5, errors: 1 }, control: { exposures: 7, errors: 2 } }]])
  })

  it('accepts and ignores counters and arms it does not know instead of refusing the batch', () => {
    const { known } = validateBatch(
      batch({ a: { canary: { exposures: 5, errors: 1, latencyMs: 123_456_789, p99: 'slow' }, holdout: { exposures: 3 } } }),
      all,
    )
    expect(known).toEqual([['a', { canary: { exposures: 5, errors: 1 }, control: { exposures: 0, errors: 0 } }]])
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
})
