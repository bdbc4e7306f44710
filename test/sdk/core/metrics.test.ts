import { describe, expect, it } from 'vitest'
import { addPacked, COUNTERS, counterIndex, emptyEvidence } from '../../../sdk/core/metrics.ts'

describe('packed counters', () => {
  it('addPacked adds every counter of COUNTERS at its index, from the given offset on', () => {
    const evidence = emptyEvidence()
    COUNTERS.forEach(([arm, metric], i) => (evidence[arm][metric] = 10 * (i + 1)))
    const packed = new Float64Array(2 + COUNTERS.length).fill(1)
    addPacked(packed, evidence, 2)
    addPacked(packed, evidence, 2)
    expect([...packed]).toEqual([1, 1, ...COUNTERS.map((_, i) => 1 + 20 * (i + 1))])
    for (const [arm, metric] of COUNTERS) expect(packed[2 + counterIndex(arm, metric)]).toBe(1 + 2 * evidence[arm][metric])
  })
})
