/**
 * The guard's evidence as data: which arms an evaluation can count in and which counters each
 * arm has. Everything that carries counts (the SDK's recorder, the wire, the server's intake,
 * credit, windows, the minute rows) reads these two lists instead of a fixed tuple, so a new
 * metric is a name here, its recorder in the SDK and its rule kind (api-shapes/guard-rules.ts).
 */

/** The arms evidence is counted in (an evaluation in neither arm is not counted). */
export const ARMS = ['canary', 'control'] as const
export type CountedArm = (typeof ARMS)[number]

/**
 * The counters of one arm. `exposures` is the denominator of the error rate; the others are
 * events among those exposures (never more of them than exposures). `timed` counts the exposures
 * that reported a duration and `slow` those among them slower than the guard's latency bound:
 * the server derives both from a reported duration histogram (`DURATION_BOUNDS`), so the slow
 * share is taken over `timed`, never over all exposures.
 */
export const METRICS = ['exposures', 'errors', 'timed', 'slow'] as const
export type Metric = (typeof METRICS)[number]

/** The counters an SDK reports by name; `timed` and `slow` come from its `durations` histogram. */
export const REPORTED_METRICS = ['exposures', 'errors'] as const

/**
 * Upper bounds (ms, inclusive) of the duration histogram an SDK reports per flag and arm, shared
 * by SDK and server; one more bucket holds everything slower than the last. A latency rule's
 * `slowerThanMs` is one of these bounds, so the slow count is exact: the buckets above it.
 */
export const DURATION_BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const
/** Buckets of a histogram: one per bound plus the overflow bucket. */
export const DURATION_BUCKETS = DURATION_BOUNDS.length + 1

/** The histogram bucket of a duration in ms (the first bound it does not exceed, else overflow). */
export function durationBucket(ms: number): number {
  let i = 0
  while (i < DURATION_BOUNDS.length && ms > DURATION_BOUNDS[i]!) i++
  return i
}

/** Requests in a histogram that took longer than `slowerThanMs` (a bound): the buckets above it. */
export function slowCount(durations: readonly number[], slowerThanMs: number): number {
  let slow = 0
  for (let i = durationBucket(slowerThanMs) + 1; i < durations.length; i++) slow += durations[i]!
  return slow
}

/** One arm's named counters. */
export type ArmCounters = Record<Metric, number>

/** Per-flag evidence: named counters per arm, e.g. `{ canary: { exposures: 3, errors: 1 }, control: {…} }`. */
export type Evidence = Record<CountedArm, ArmCounters>

/**
 * Every (arm, metric) pair, arm by arm: the order of a packed counter array (SDK, windows).
 * `@__PURE__` (here and on `FLAT`) lets the browser bundle, which reads neither, drop them.
 */
export const COUNTERS: ReadonlyArray<readonly [CountedArm, Metric]> = /* @__PURE__ */ ARMS.flatMap((arm) =>
  METRICS.map((metric) => [arm, metric] as const),
)

// Plain loops below: the guard adds evidence for every flag every second.

export function emptyArm(): ArmCounters {
  const arm = {} as ArmCounters
  for (let m = 0; m < METRICS.length; m++) arm[METRICS[m]!] = 0
  return arm
}

export function emptyEvidence(): Evidence {
  const e = {} as Evidence
  for (let a = 0; a < ARMS.length; a++) e[ARMS[a]!] = emptyArm()
  return e
}

/** Adds `add` into `into`, counter by counter. */
export function addEvidence(into: Evidence, add: Evidence): void {
  for (let a = 0; a < ARMS.length; a++) {
    const to = into[ARMS[a]!]
    const from = add[ARMS[a]!]
    for (let m = 0; m < METRICS.length; m++) to[METRICS[m]!] += from[METRICS[m]!]
  }
}

/** Sets every counter to zero, in place. */
export function clearEvidence(e: Evidence): void {
  for (let a = 0; a < ARMS.length; a++) for (let m = 0; m < METRICS.length; m++) e[ARMS[a]!][METRICS[m]!] = 0
}

/** Whether `arm` and `metric` name one of this release's counters (stored or reported data may name others). */
export const isCounter = (arm: string, metric: string): metric is Metric =>
  (ARMS as readonly string[]).includes(arm) && (METRICS as readonly string[]).includes(metric)

/** Whether every counter is zero. */
export const isEmptyEvidence = (e: Evidence): boolean => COUNTERS.every(([arm, metric]) => e[arm][metric] === 0)

/** A copy (evidence is mutable; a snapshot must not change with the original). */
export function copyEvidence(e: Evidence): Evidence {
  const out = emptyEvidence()
  addEvidence(out, e)
  return out
}

/** Evidence with everything in one arm. */
export function inArm(arm: CountedArm, counters: ArmCounters): Evidence {
  const out = emptyEvidence()
  out[arm] = { ...counters }
  return out
}

/**
 * The four-number form older SDKs send: `[canary exposures, canary errors, control exposures,
 * control errors]`. Still accepted on the wire; nothing else uses positions.
 */
export type LegacyCounts = [number, number, number, number]

export function fromLegacyCounts([ce, cx, ke, kx]: LegacyCounts): Evidence {
  return { canary: { ...emptyArm(), exposures: ce, errors: cx }, control: { ...emptyArm(), exposures: ke, errors: kx } }
}

/** `canary` + `exposures` → `canaryExposures`: the flat field names of the API's figures. */
export type FlatName<A extends string, M extends string> = `${A}${Capitalize<M>}`
export type FlatCounts = { [K in (typeof COUNTERS)[number] as FlatName<K[0], K[1]>]: number }
export const flatName = (arm: CountedArm, metric: Metric): string => arm + metric[0]!.toUpperCase() + metric.slice(1)
const FLAT = /* @__PURE__ */ COUNTERS.map(([arm, metric]) => [arm, metric, flatName(arm, metric)] as const)

/** Evidence as the API's flat figures (`canaryExposures`, `canaryErrors`, …). */
export function toFlatCounts(e: Evidence): FlatCounts {
  const flat: Record<string, number> = {}
  for (let i = 0; i < FLAT.length; i++) {
    const [arm, metric, name] = FLAT[i]!
    flat[name] = e[arm][metric]
  }
  return flat as FlatCounts
}

/** The API's flat figures back as evidence (absent names count 0), into `out` when given (no allocation). */
export function fromFlatCounts(flat: Partial<FlatCounts>, out: Evidence = emptyEvidence()): Evidence {
  for (let i = 0; i < FLAT.length; i++) {
    const [arm, metric, name] = FLAT[i]!
    out[arm][metric] = (flat as Partial<Record<string, number>>)[name] ?? 0
  }
  return out
}

/** Where `(arm, metric)` sits in a packed counter array (`COUNTERS` order). */
export const counterIndex = (arm: CountedArm, metric: Metric): number => ARMS.indexOf(arm) * METRICS.length + METRICS.indexOf(metric)

/**
 * Adds evidence into a packed counter array, from index `at` on (hot paths keep counts packed).
 * Written out counter by counter: a loop reading `arm[METRICS[m]]` is a keyed load whose name
 * changes at every step, megamorphic in V8, and cost about 15× as much on the metrics intake's
 * hot path (every flag of every batch). test/sdk/core/metrics.test.ts checks that it follows
 * `COUNTERS`, so a new metric cannot be left out here.
 */
export function addPacked(into: Float64Array, add: Evidence, at = 0): void {
  const canary = add.canary
  const control = add.control
  into[at]! += canary.exposures
  into[at + 1]! += canary.errors
  into[at + 2]! += canary.timed
  into[at + 3]! += canary.slow
  into[at + 4]! += control.exposures
  into[at + 5]! += control.errors
  into[at + 6]! += control.timed
  into[at + 7]! += control.slow
}

/** A packed counter array as the API's flat figures. */
export function packedToFlat(packed: Float64Array): FlatCounts {
  const flat: Record<string, number> = {}
  for (let i = 0; i < FLAT.length; i++) flat[FLAT[i]![2]] = packed[i]!
  return flat as FlatCounts
}

/** The API's flat figures as a packed counter array. */
export function flatToPacked(flat: Partial<FlatCounts>): Float64Array {
  const packed = new Float64Array(COUNTERS.length)
  for (let i = 0; i < FLAT.length; i++) packed[i] = (flat as Partial<Record<string, number>>)[FLAT[i]![2]] ?? 0
  return packed
}
