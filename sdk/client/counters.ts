import type { FlagCounts, MetricsBatch } from '../core/protocol.ts'
import type { EvalResult } from '../core/types.ts'

/**
 * The guard's counts, per flag: `[canary exposures, canary errors, control exposures, control
 * errors]`, the order of `FlagCounts` on the wire. Each flag gets a slot of four counters in one
 * shared `Int32Array` the first time it is seen, so counting an evaluation is a map lookup and an
 * increment: no allocation on the `isEnabled` path.
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
export function countExposure(counters: Counters, slot: number, offset: number): void {
  if (offset !== NOT_COUNTED) counters.counts[(slot << 2) + offset]! += 1
}

/** Counts an error in the arm the evaluation puts the user in. */
export function countError(counters: Counters, slot: number, offset: number): void {
  if (offset !== NOT_COUNTED) counters.counts[(slot << 2) + offset + 1]! += 1
}

export interface Counters {
  /**
   * Every flag's four counters, flag after flag: slot `s` is `counts[4s .. 4s + 3]`. One array
   * for all flags rather than one per flag (a typed array costs about 200 bytes of heap beside
   * its 16 bytes of counts); it is replaced when it grows, so read it per use.
   */
  readonly counts: Int32Array
  /** The flag's slot, created on first use; the client keeps it beside the flag. */
  slot(flag: string): number
  /** The flag's slot if it has one (no allocation): the `isEnabled` lookup. */
  find(flag: string): number | undefined
  /**
   * Moves every non-zero count into a batch and zeroes the slots; undefined when there is
   * nothing to report. The batch covers `[start of counting, now]`.
   */
  drain(id: string, now: number): MetricsBatch | undefined
}

/**
 * @example
 * const counters = createCounters(Date.now())
 * countExposure(counters, counters.slot('checkout-v2'), armOffset({ enabled: true, reason: 'cohort:beta' }))
 * counters.drain('b1', Date.now()) // { id: 'b1', start, end, flags: { 'checkout-v2': [1, 0, 0, 0] } }
 */
export function createCounters(startedAt: number): Counters {
  const slots = new Map<string, number>()
  let start = startedAt

  const counters: Counters & { counts: Int32Array } = {
    counts: new Int32Array(4 * 4),
    slot(flag) {
      let slot = slots.get(flag)
      if (slot === undefined) {
        slot = slots.size
        slots.set(flag, slot)
        if ((slot << 2) >= counters.counts.length) {
          const grown = new Int32Array(counters.counts.length * 2)
          grown.set(counters.counts)
          counters.counts = grown
        }
      }
      return slot
    },
    find(flag) {
      return slots.get(flag)
    },
    drain(id, now) {
      const counts = counters.counts
      const flags: Record<string, FlagCounts> = {}
      let any = false
      for (const [flag, slot] of slots) {
        const at = slot << 2
        if (counts[at] === 0 && counts[at + 1] === 0 && counts[at + 2] === 0 && counts[at + 3] === 0) continue
        flags[flag] = [counts[at]!, counts[at + 1]!, counts[at + 2]!, counts[at + 3]!]
        counts.fill(0, at, at + 4)
        any = true
      }
      const batch = any ? { id, start, end: now, flags } : undefined
      start = now
      return batch
    },
  }
  return counters
}
