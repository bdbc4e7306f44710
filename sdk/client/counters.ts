import type { FlagCounts, MetricsBatch } from '../core/protocol.ts'
import type { EvalResult } from '../core/types.ts'

/**
 * The guard's counts, per flag: `[canary exposures, canary errors, control exposures, control
 * errors]`, the order of `FlagCounts` on the wire. Each flag gets one preallocated `Int32Array`
 * the first time it is seen, so counting an evaluation is a map lookup and an increment: no
 * allocation on the `isEnabled` path.
 */
const CANARY = 0
const CONTROL = 2
const NOT_COUNTED = -1

/**
 * Offset of the arm's exposure counter, or -1 when the evaluation is in neither arm. Mirrors
 * `armOf` in `sdk/core/evaluate.ts`, which the browser build must not import; a test keeps the
 * two in step.
 */
export function armOffset(result: EvalResult): number {
  if (result.enabled) return CANARY
  return result.reason === 'outside_rollout' ? CONTROL : NOT_COUNTED
}

/** Results mode: every answer is reported in the first pair; the server picks the arm. */
export const answerOffset = (_result: EvalResult): number => CANARY

/** Counts one evaluation in its arm's exposure counter (nothing when in neither arm). */
export function countExposure(counts: Int32Array, offset: number): void {
  if (offset !== NOT_COUNTED) counts[offset]! += 1
}

/** Counts an error in the arm the evaluation puts the user in. */
export function countError(counts: Int32Array, offset: number): void {
  if (offset !== NOT_COUNTED) counts[offset + 1]! += 1
}

export interface Counters {
  /** The flag's four counters, created on first use; the client keeps it beside the flag. */
  slot(flag: string): Int32Array
  /**
   * Moves every non-zero count into a batch and zeroes the slots; undefined when there is
   * nothing to report. The batch covers `[start of counting, now]`.
   */
  drain(id: string, now: number): MetricsBatch | undefined
}

/**
 * @example
 * const counters = createCounters(Date.now())
 * countExposure(counters.slot('checkout-v2'), armOffset({ enabled: true, reason: 'cohort:beta' }))
 * counters.drain('b1', Date.now()) // { id: 'b1', start, end, flags: { 'checkout-v2': [1, 0, 0, 0] } }
 */
export function createCounters(startedAt: number): Counters {
  const slots = new Map<string, Int32Array>()
  let start = startedAt

  const slot = (flag: string): Int32Array => {
    let counts = slots.get(flag)
    if (counts === undefined) slots.set(flag, (counts = new Int32Array(4)))
    return counts
  }

  return {
    slot,
    drain(id, now) {
      const flags: Record<string, FlagCounts> = {}
      let any = false
      for (const [flag, counts] of slots) {
        if (counts[0] === 0 && counts[1] === 0 && counts[2] === 0 && counts[3] === 0) continue
        flags[flag] = [counts[0]!, counts[1]!, counts[2]!, counts[3]!]
        counts.fill(0)
        any = true
      }
      const batch = any ? { id, start, end: now, flags } : undefined
      start = now
      return batch
    },
  }
}
