import { ARMS, DURATION_BUCKETS, durationBucket, REPORTED_METRICS, type CountedArm } from '../core/metrics.ts'
import type { FlagCounts, MetricsBatch } from '../core/protocol.ts'
import type { EvalResult } from '../core/types.ts'

/**
 * The guard's counts, per flag: per counted arm, one counter per reported metric
 * (`REPORTED_METRICS`, core/metrics.ts) then the duration histogram (`DURATION_BUCKETS`). Each
 * flag gets a slot (one `ARM_STRIDE` block per arm its mode counts) in one shared `Int32Array`
 * the first time it is seen, so counting an evaluation is a map lookup and an increment: no
 * allocation on the `isEnabled` path. Adding a metric adds its name to `REPORTED_METRICS` and a
 * `count…` recorder here.
 */
const ARM_STRIDE = REPORTED_METRICS.length + DURATION_BUCKETS
/** The offset of an evaluation in neither arm: nothing is counted. */
const NOT_COUNTED = -1
const EXPOSURES = REPORTED_METRICS.indexOf('exposures')
const ERRORS = REPORTED_METRICS.indexOf('errors')
/** Where an arm's histogram starts, after its named counters. */
const DURATIONS = REPORTED_METRICS.length

/**
 * How a mode counts its evaluations for the guard: which arms a flag's slot holds and where an
 * evaluation's arm sits in it. Each mode imports its own (`ARM_COUNTING`, `ANSWER_COUNTING`), so
 * the browser build carries only the results mode's.
 */
export interface Counting {
  /**
   * `arms` (rules mode): each evaluation counts in the arm the SDK computed, and a batch holds
   * errors and timed requests only up to its exposures in that arm (`takeArm`'s carry).
   * `answers` (results mode): the server does not trust a browser's arms, so every answered
   * evaluation is reported as one exposure and the server puts it in the arm it computes for the
   * user (the batch carries the user on the HTTP fallback).
   */
  readonly kind: 'arms' | 'answers'
  /** The arms of a flag's slot, in order. */
  readonly arms: readonly CountedArm[]
  /** Offset of the evaluation's arm in its slot, or -1 when it is in neither arm. */
  offsetOf(result: EvalResult): number
}

/**
 * Offset of the arm's counters, or -1 when the evaluation is in neither arm. Mirrors `armOf`
 * in `sdk/core/results.ts`, which the browser build must not import; a test keeps the two in step.
 */
export function armOffset(result: EvalResult): number {
  if (result.enabled) return CANARY
  return result.reason === 'outside_rollout' ? CONTROL : NOT_COUNTED
}
/** Where each arm's counters start in a rules-mode slot (`ARMS` order). */
const CANARY = /* @__PURE__ */ ARMS.indexOf('canary') * ARM_STRIDE
const CONTROL = /* @__PURE__ */ ARMS.indexOf('control') * ARM_STRIDE

/** Rules mode (server keys): both arms, as the SDK computes them (`armOffset`). */
export const ARM_COUNTING: Counting = { kind: 'arms', arms: ARMS, offsetOf: armOffset }

/** Results mode (client keys): every answer is reported in the canary arm; the server picks the arm. */
export const ANSWER_COUNTING: Counting = { kind: 'answers', arms: ['canary'], offsetOf: () => 0 }

/** Counts one evaluation in its arm's exposure counter (nothing when in neither arm). */
export function countExposure(counters: Counters, slot: number, offset: number): void {
  // On every counted `isEnabled`: written out rather than through a shared helper taking the
  // metric, which measured ~4 ns more per call in the eval bench.
  if (offset !== NOT_COUNTED) counters.counts[slot + offset + EXPOSURES]! += 1
}

/** Counts an error in the arm the evaluation puts the user in. */
export function countError(counters: Counters, slot: number, offset: number): void {
  if (offset !== NOT_COUNTED) counters.counts[slot + offset + ERRORS]! += 1
}

/** Counts a duration (ms) in the arm's histogram. */
export function countDuration(counters: Counters, slot: number, offset: number, ms: number): void {
  if (offset !== NOT_COUNTED) counters.counts[slot + offset + DURATIONS + durationBucket(ms)]! += 1
}

/**
 * Takes what one arm can report now out of its counters and leaves the rest. An error or a
 * duration can be recorded after the flush that carried its own exposure. With `carry` (server
 * keys, SPEC.md "Metrics batches"), a batch holds errors and timed requests only up to its
 * exposures in that arm, as the server requires of them (`server/guard/metrics-batch.ts`, the
 * anti-inflation check): the rest waits for the next batch with an exposure of that arm, so it
 * is neither sent alone (and the whole batch refused) nor lost. Without it (client keys, whose
 * page may evaluate once and fail later) everything goes now; the server credits such late
 * events against the exposures that connection reported before (`ClientCredit`).
 * Undefined when there is nothing to send.
 */
function takeArm(counts: Int32Array, base: number, carry: boolean): Record<string, number | number[]> | undefined {
  const exposures = counts[base + EXPOSURES]!
  let room = carry ? exposures : Infinity
  const arm: Record<string, number | number[]> = {}
  let any = false
  for (let i = 0; i < REPORTED_METRICS.length; i++) {
    const taken = i === EXPOSURES ? exposures : Math.min(counts[base + i]!, room)
    arm[REPORTED_METRICS[i]!] = taken
    counts[base + i]! -= taken
    any ||= taken > 0
  }
  const durations: number[] = []
  let timed = 0
  for (let i = base + DURATIONS; i < base + ARM_STRIDE; i++) {
    const taken = Math.min(counts[i]!, room - timed)
    durations.push(taken)
    counts[i]! -= taken
    timed += taken
  }
  // Older servers ignore the histogram; it goes out only when the arm timed something.
  if (timed > 0) arm.durations = durations
  return any || timed > 0 ? arm : undefined
}

export interface Counters {
  /**
   * Every flag's counters, flag after flag: a slot is the index of its flag's first counter. One
   * array for all flags rather than one per flag (a typed array costs about 200 bytes of heap
   * beside its 16 bytes of counts); it is replaced when it grows, so read it per use.
   */
  readonly counts: Int32Array
  /** The flag's slot (the index of its first counter), created on first use; the client keeps it beside the flag. */
  slot(flag: string): number
  /**
   * Names a flag in the next batch with no counts (`{}`): how an unknown key the application
   * asked for reaches the server, which counts the keys it does not have per connection
   * (`unknownFlags`) and gives them no state. No counts, so it is never evidence.
   */
  mention(flag: string): void
  /**
   * Moves every reportable count into a batch (with `arms` counting, errors and durations beyond
   * an arm's exposures stay for a later batch: `takeArm`); undefined when there is nothing to
   * report. The batch covers `[start of counting, now]`.
   */
  drain(id: string, now: number): MetricsBatch | undefined
}

/**
 * @example
 * const counters = createCounters(Date.now(), ARM_COUNTING)
 * countExposure(counters, counters.slot('checkout-v2'), armOffset({ enabled: true, reason: 'cohort:beta' }))
 * counters.drain('b1', Date.now()) // { id: 'b1', start, end, flags: { 'checkout-v2': { canary: { exposures: 1, errors: 0 } } } }
 */
export function createCounters(startedAt: number, counting: Counting): Counters {
  const { arms } = counting
  const carry = counting.kind === 'arms'
  const stride = arms.length * ARM_STRIDE
  const slots = new Map<string, number>()
  const mentioned = new Set<string>()
  let start = startedAt

  const counters: Counters & { counts: Int32Array } = {
    counts: new Int32Array(4 * stride),
    slot(flag) {
      let slot = slots.get(flag)
      if (slot === undefined) {
        slot = slots.size * stride
        slots.set(flag, slot)
        if (slot >= counters.counts.length) {
          const grown = new Int32Array(counters.counts.length * 2)
          grown.set(counters.counts)
          counters.counts = grown
        }
      }
      return slot
    },
    mention(flag) {
      mentioned.add(flag)
    },
    drain(id, now) {
      const flags: Record<string, FlagCounts> = {}
      let any = false
      for (const [flag, slot] of slots) {
        const out: Partial<Record<CountedArm, Record<string, number | number[]>>> = {}
        let counted = false
        for (let a = 0; a < arms.length; a++) {
          const taken = takeArm(counters.counts, slot + a * ARM_STRIDE, carry)
          if (taken) out[arms[a]!] = taken
          counted ||= taken !== undefined
        }
        if (!counted) continue
        flags[flag] = out
        any = true
      }
      for (const flag of mentioned) {
        flags[flag] ??= {}
        any = true
      }
      mentioned.clear()
      const batch = any ? { id, start, end: now, flags } : undefined
      start = now
      return batch
    },
  }
  return counters
}
