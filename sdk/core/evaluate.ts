import { BUCKET_COUNT, bucketer, rolloutThreshold } from './bucket.ts'
import { compileCondition } from './conditions.ts'
import type { UserPredicate } from './conditions.ts'
import { genericResult } from './generic-reason.ts'
import { RESULTS, frozenResult } from './results.ts'
import type { EvalResult, FlagState, Segment, SegmentMap, User } from './types.ts'

// Re-exported so callers of the evaluator find everything in one module.
export { RESULTS, armOf } from './results.ts'

/**
 * Flag evaluation: `enabled = state.enabled && some cohort (all conditions hold && user inside
 * its rollout)`. Compile once per state change (`compileFlag`), then `evaluate` per call: it
 * parses nothing, never throws, and on the common path (string attributes and ids) allocates
 * nothing, since results are shared frozen objects and the hash reads the strings in place.
 */

/** The stickiness attribute used when a flag state leaves it empty. */
export const DEFAULT_STICKINESS = 'userId'

/** A flag state compiled for fast repeated evaluation. */
export interface CompiledFlag {
  readonly key: string
  /** Why the state was rejected as malformed (then every evaluation is `error`), for logging. */
  readonly problem: string | undefined
  /** Evaluates for one user. Never throws; returns a shared frozen result. */
  evaluate(user: User): Readonly<EvalResult>
  /**
   * The public (client-key) form of a result this flag returned: a generic reason, SPLIT when
   * the cohort that included the user is partial. Allocates nothing.
   */
  generic(result: Readonly<EvalResult>): Readonly<EvalResult>
}

interface CompiledCohort {
  /** All of the cohort's conditions, as one call (see `allOf`). */
  readonly holds: UserPredicate
  /** Buckets `[0, threshold)` are inside. */
  readonly threshold: number
  /** Rollout covers every bucket: no hash and no stickiness attribute needed. */
  readonly full: boolean
  /** No conditions: every user meets them. */
  readonly unconditional: boolean
  readonly included: Readonly<EvalResult>
}

/** Sentinels for the user's bucket during one evaluation; real buckets are >= 0. */
const NOT_COMPUTED = -1
const NO_STICKINESS = -2

/**
 * The stickiness value as hashed: non-empty strings as-is, finite numbers stringified
 * (`42` → `'42'`, so numeric and string ids bucket alike). `undefined`, `null`, `''`, booleans,
 * objects and non-finite numbers count as missing: an empty string is a common placeholder for
 * "anonymous", and hashing it would put every anonymous user in the same single bucket, turning
 * a percentage into all-or-nothing for them.
 */
function stickinessValue(user: User, attribute: string): string | undefined {
  const value = user[attribute]
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/** A compiled flag whose every evaluation gives the same answer (off, or a malformed state). */
function constantFlag(
  key: string,
  answer: Readonly<EvalResult>,
  problem?: string,
): CompiledFlag {
  return { key, problem, evaluate: () => answer, generic: genericOf(new Set()) }
}

/**
 * `CompiledFlag.generic` for a flag whose partial cohorts answer with the results in `split`
 * (compared by identity: each cohort's result is its own frozen object).
 */
function genericOf(split: ReadonlySet<Readonly<EvalResult>>) {
  return (result: Readonly<EvalResult>) => genericResult(result, { split: split.has(result) })
}

const ALWAYS: UserPredicate = () => true

/**
 * The conjunction of predicates as a single function. Most cohorts have zero or one condition,
 * and returning that predicate itself spares the evaluation loop an inner loop per cohort.
 */
function allOf(predicates: readonly UserPredicate[]): UserPredicate {
  if (predicates.length === 0) return ALWAYS
  if (predicates.length === 1) return predicates[0]!
  return (user) => {
    for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(user)) return false
    return true
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** Throws on a malformed state; `compileFlag` turns that into a flag that answers `error`. */
function compileCohorts(state: FlagState, segments: SegmentMap): CompiledCohort[] {
  if (!Array.isArray(state.cohorts)) throw new TypeError('cohorts must be an array')
  return state.cohorts.map((cohort: unknown, index) => {
    if (!isObject(cohort)) throw new TypeError(`cohort ${index} is not an object`)
    const { name, conditions, rollout } = cohort
    if (typeof name !== 'string') throw new TypeError(`cohort ${index}: name must be a string`)
    if (!Array.isArray(conditions)) throw new TypeError(`cohort ${name}: conditions not an array`)
    if (typeof rollout !== 'number' || !(rollout >= 0 && rollout <= 100)) {
      throw new TypeError(`cohort ${name}: rollout must be a number in [0, 100]`)
    }
    const threshold = rolloutThreshold(rollout)
    return {
      holds: allOf(conditions.map((c) => compileCondition(c, segments))),
      threshold,
      full: threshold >= BUCKET_COUNT,
      unconditional: conditions.length === 0,
      included: frozenResult(true, `cohort:${name}`),
    }
  })
}

function compileFlagUnsafe(state: FlagState, segments: SegmentMap): CompiledFlag {
  if (!isObject(state)) return constantFlag('', RESULTS.error, 'state is not an object')
  const key = state.key
  if (typeof key !== 'string') return constantFlag('', RESULTS.error, 'key must be a string')
  const malformed = (problem: string) => constantFlag(key, RESULTS.error, problem)
  if (typeof state.enabled !== 'boolean') return malformed('enabled must be a boolean')
  const { salt: rawSalt, stickiness: rawStickiness } = state
  if (rawSalt !== undefined && typeof rawSalt !== 'string') return malformed('salt not a string')
  if (rawStickiness !== undefined && typeof rawStickiness !== 'string') {
    return malformed('stickiness must be a string')
  }
  // Compiled even when off, so a malformed state reports `error` rather than hiding behind `off`.
  const cohorts = compileCohorts(state, segments)
  if (!state.enabled) return constantFlag(key, RESULTS.off)

  // PRODUCT.md: the salt defaults to the flag key; the server normally fills it in.
  const salt = rawSalt === undefined || rawSalt === '' ? key : rawSalt
  const stickiness =
    rawStickiness === undefined || rawStickiness === '' ? DEFAULT_STICKINESS : rawStickiness

  // The salt's bytes are hashed once here; each evaluation hashes only the user's value.
  const bucketOfValue = bucketer(salt)
  const bucketOf = (user: User): number => {
    const value = stickinessValue(user, stickiness)
    return value === undefined ? NO_STICKINESS : bucketOfValue(value)
  }

  const generic = genericOf(new Set(cohorts.filter((c) => !c.full).map((c) => c.included)))

  // A first cohort of everyone at 100% answers every user the same way: skip the loop.
  const first = cohorts[0]
  if (first !== undefined && first.unconditional && first.full) {
    const included = first.included
    return {
      key,
      problem: undefined,
      evaluate: (user) => (isObject(user) ? included : RESULTS.error),
      generic,
    }
  }

  const evaluateUnsafe = (user: User): Readonly<EvalResult> => {
    if (!isObject(user)) return RESULTS.error
    // The bucket depends only on the flag's salt and the user, so it is hashed at most once.
    // Its final state also gives the reason: still NOT_COMPUTED means no partial cohort's
    // conditions held. Because every cohort hashes the same stickiness attribute, a user
    // cannot be both outside one partial cohort and missing stickiness for another.
    let userBucket = NOT_COMPUTED
    // Indexed loops: this is the `isEnabled` hot path and they avoid iterator overhead.
    for (let c = 0; c < cohorts.length; c++) {
      const cohort = cohorts[c] as CompiledCohort
      if (!cohort.holds(user)) continue
      if (cohort.full) return cohort.included
      if (userBucket === NOT_COMPUTED) userBucket = bucketOf(user)
      if (userBucket !== NO_STICKINESS && userBucket < cohort.threshold) return cohort.included
    }
    if (userBucket === NOT_COMPUTED) return RESULTS.noMatch
    // `outside_rollout` marks the guard's control arm: same population as the canary, split by
    // the hash alone.
    return userBucket === NO_STICKINESS ? RESULTS.missingStickiness : RESULTS.outsideRollout
  }

  return {
    key,
    problem: undefined,
    generic,
    evaluate(user) {
      try {
        return evaluateUnsafe(user)
      } catch {
        // Only user-supplied code can throw here (a throwing getter, a proxy). The contract
        // is that evaluation never throws; `error` is the reason the caller can inspect.
        return RESULTS.error
      }
    },
  }
}

/**
 * Compiles a flag state once so each evaluation parses nothing and allocates nothing.
 * Never throws: a malformed state compiles to a flag that always answers `error`. Recompile
 * when the state or any segment changes; the compiled flag does not see later mutations.
 *
 * @example
 * const flag = compileFlag(state, segments)
 * const result = flag.evaluate({ userId: 'u1', region: 'eu' })
 * // { enabled: true, reason: 'cohort:eu-canary' }
 */
export function compileFlag(state: FlagState, segments: SegmentMap): CompiledFlag {
  try {
    return compileFlagUnsafe(state, segments)
  } catch (error) {
    // A malformed state (wrong shapes, throwing getters, malformed segments) must not break
    // the caller; every evaluation of it reports `error`, and `problem` keeps the cause.
    let key = ''
    try {
      if (isObject(state) && typeof state.key === 'string') key = state.key
    } catch {
      // `state.key` itself is a throwing getter: the flag has no usable key at all.
    }
    return constantFlag(key, RESULTS.error, error instanceof Error ? error.message : String(error))
  }
}

/**
 * One-off evaluation (compile + evaluate), e.g. for the server's evaluate route. Prefer
 * `compileFlag` when the same state is evaluated repeatedly. Never throws.
 *
 * @example
 * evaluate(undefined, { userId: 'u1' }) // { enabled: false, reason: 'unknown_flag' }
 * evaluate(state, { userId: 'u1' }, segments) // { enabled: true, reason: 'cohort:beta' }
 */
export function evaluate(
  state: FlagState | undefined,
  user: User,
  segments: SegmentMap = new Map(),
): Readonly<EvalResult> {
  if (state === undefined) return RESULTS.unknownFlag
  return compileFlag(state, segments).evaluate(user)
}

/**
 * Indexes segments by key, the shape `compileFlag` takes (wire formats carry arrays).
 *
 * @example
 * const segments = toSegmentMap(snapshot.segments)
 */
export function toSegmentMap(segments: readonly Segment[]): SegmentMap {
  return new Map(segments.map((segment) => [segment.key, segment]))
}
