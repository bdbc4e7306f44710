import { BUCKET_COUNT, BUCKET_SEED, rolloutThreshold } from './bucket.ts'
import { INSIDE, NO_VALUE, OUTSIDE, type Placement } from './bucketing-modes.ts'
import { compileCohorts, type CompiledCohort } from './compiled-cohorts.ts'
import { genericResult } from './generic-reason.ts'
import { keyPrefix, murmur3FromPrefix, type KeyPrefix } from './murmur3.ts'
import { RESULTS, frozenResult } from './results.ts'
import { stickinessValue } from './stickiness.ts'
import type { Condition, EvalResult, FlagState, Segment, SegmentMap, User } from './types.ts'

// Re-exported so callers of the evaluator find everything in one module.
export { RESULTS, armOf } from './results.ts'
export { sharedCohortCount } from './compiled-cohorts.ts'

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
  /** The state's `version` (the environment version at which it last changed). */
  readonly version: number
  /** Evaluates for one user. Never throws; returns a shared frozen result. */
  evaluate(user: User): Readonly<EvalResult>
  /**
   * The result every user (an object) gets when the rules never look at the user: off,
   * malformed, or a first cohort of everyone at 100%. Undefined when they do. A caller answering
   * many flags for each of many users (the server's OFREP bulk answer) keeps these once.
   */
  readonly fixedResult: Readonly<EvalResult> | undefined
  /**
   * The public (client-key) form of a result this flag returned: a generic reason, SPLIT when
   * the cohort that included the user is partial. Allocates nothing.
   */
  generic(result: Readonly<EvalResult>): Readonly<EvalResult>
  /**
   * A state that compiles to this flag (for caches and snapshots when the raw state is not
   * kept): the same key, version and rules, with the salt and stickiness defaults filled in
   * and condition values as compiled. A malformed state is returned as it was given.
   */
  toState(): FlagState
}

/** Sentinels for the user's bucket during one evaluation; real buckets are >= 0. */
const NOT_COMPUTED = -1
const NO_STICKINESS = -2

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** How a compiled flag answers. */
const CONSTANT = 0
/** A first cohort of everyone at 100%: every user (an object) gets its result. */
const FIRST_FULL = 1
const COHORTS = 2

const NO_COHORTS: readonly CompiledCohort[] = Object.freeze([])
/** The prefix of flags that never hash (off, malformed, everyone at 100%). */
const NO_PREFIX: KeyPrefix = keyPrefix('')

/**
 * A compiled flag as data: `evaluate` is a method on a shared prototype (no closures per flag),
 * and a flag holds only its own scalars and references to shared cohorts. Flags whose answer
 * does not depend on the rules (off, malformed, everyone at 100%) are subclasses whose
 * `evaluate` is a one-liner V8 inlines into `isEnabled`. The salt is kept as the murmur3 state
 * after hashing it (`keyPrefix`), so each evaluation hashes only the user's value.
 *
 * Cohort lists and condition arrays are never frozen: V8 reads frozen arrays on a slower path,
 * which measurably slowed the cohort loop. They are private and never handed out.
 */
class Flag implements CompiledFlag {
  constructor(
    readonly key: string,
    readonly problem: string | undefined,
    readonly version: number,
    private readonly mode: number,
    /** CONSTANT and FIRST_FULL: the answer. */
    protected readonly answer: Readonly<EvalResult>,
    protected readonly cohorts: readonly CompiledCohort[],
    /** The state's fields that only `toState` needs. */
    private readonly enabled: boolean,
    private readonly salt: string,
    protected readonly stickiness: string,
    private readonly clientSide: boolean | undefined,
    /** A malformed state, kept as given so `toState` returns it. */
    private readonly raw: unknown,
    /** The murmur3 state after the salt's bytes (COHORTS only). */
    protected readonly prefix: KeyPrefix,
  ) {}

  get fixedResult(): Readonly<EvalResult> | undefined {
    return this.mode === COHORTS ? undefined : this.answer
  }

  /** COHORTS; the subclasses below answer the other modes without looking at cohorts. */
  evaluate(user: User): Readonly<EvalResult> {
    try {
      return this.evaluateCohorts(user)
    } catch {
      // Only user-supplied code can throw here (a throwing getter, a proxy). The contract
      // is that evaluation never throws; `error` is the reason the caller can inspect.
      return RESULTS.error
    }
  }

  private evaluateCohorts(user: User): Readonly<EvalResult> {
    if (!isObject(user)) return RESULTS.error
    // The bucket depends only on the flag's salt and the user, so it is hashed at most once.
    // Its final state also gives the reason: still NOT_COMPUTED means no partial cohort's
    // conditions held. Because every cohort hashes the same stickiness attribute, a user
    // cannot be both outside one partial cohort and missing stickiness for another.
    let userBucket = NOT_COMPUTED
    const cohorts = this.cohorts
    // Indexed loops: this is the `isEnabled` hot path and they avoid iterator overhead.
    for (let c = 0; c < cohorts.length; c++) {
      const cohort = cohorts[c]!
      const single = cohort.single
      if (single !== undefined ? !single.holds(user) : !cohort.holds(user)) continue
      if (cohort.full) return cohort.included
      if (userBucket === NOT_COMPUTED) {
        const value = stickinessValue(user, this.stickiness)
        userBucket =
          value === undefined
            ? NO_STICKINESS
            : // A literal modulus, as in `bucketer` (bucket.ts): V8 turns it into a multiply.
              (murmur3FromPrefix(this.prefix, value) >>> 0) % 100_000
      }
      if (userBucket !== NO_STICKINESS && userBucket < cohort.threshold) return cohort.included
    }
    if (userBucket === NOT_COMPUTED) return RESULTS.noMatch
    // `outside_rollout` marks the guard's control arm: same population as the canary, split by
    // the hash alone.
    return userBucket === NO_STICKINESS ? RESULTS.missingStickiness : RESULTS.outsideRollout
  }

  generic(result: Readonly<EvalResult>): Readonly<EvalResult> {
    if (this.mode !== CONSTANT) {
      const cohorts = this.cohorts
      for (let c = 0; c < cohorts.length; c++) if (cohorts[c]!.included === result) return cohorts[c]!.generic
    }
    return genericResult(result, { split: false })
  }

  toState(): FlagState {
    if (this.raw !== undefined) return this.raw as FlagState
    return {
      key: this.key,
      enabled: this.enabled,
      salt: this.salt,
      stickiness: this.stickiness,
      cohorts: this.cohorts.map((cohort) => ({
        name: cohort.name,
        conditions: cohort.conditions.map((condition) => condition.source),
        rollout: cohort.rollout,
        ...(cohort.mode === undefined ? {} : { bucketing: cohort.mode.source }),
      })),
      version: this.version,
      ...(this.clientSide === undefined ? {} : { clientSide: this.clientSide }),
    }
  }
}

/** Off or malformed: the same answer for everyone. */
class ConstantFlag extends Flag {
  override evaluate(_user: User): Readonly<EvalResult> {
    return this.answer
  }
}

/** A first cohort of everyone at 100%: its result for every user (an object). */
class EveryoneFlag extends Flag {
  override evaluate(user: User): Readonly<EvalResult> {
    return isObject(user) ? this.answer : RESULTS.error
  }
}

/**
 * A flag with at least one cohort bucketed as its source product did (Unleash, LaunchDarkly; see
 * bucketing-modes.ts). Its own loop, so that flags without one keep `Flag`'s loop as it was.
 * Cohorts may hash different values here, so a user can be outside one cohort's rollout and
 * without a value for another: `outside_rollout` (the guard's control arm) wins, since the
 * hash did split that user out of a cohort whose conditions they met.
 */
class ModedFlag extends Flag {
  override evaluate(user: User): Readonly<EvalResult> {
    try {
      return this.evaluateModes(user)
    } catch {
      // As in `Flag.evaluate`: only user-supplied code (a throwing getter) can throw here.
      return RESULTS.error
    }
  }

  private evaluateModes(user: User): Readonly<EvalResult> {
    if (!isObject(user)) return RESULTS.error
    let ownBucket = NOT_COMPUTED
    let outside = false
    let missing = false
    const cohorts = this.cohorts
    for (let c = 0; c < cohorts.length; c++) {
      const cohort = cohorts[c]!
      if (!cohort.holds(user)) continue
      if (cohort.full) return cohort.included
      let placement: Placement
      if (cohort.mode !== undefined) {
        placement = cohort.mode.place(user)
      } else {
        if (ownBucket === NOT_COMPUTED) {
          const value = stickinessValue(user, this.stickiness)
          ownBucket = value === undefined ? NO_STICKINESS : (murmur3FromPrefix(this.prefix, value) >>> 0) % 100_000
        }
        placement = ownBucket === NO_STICKINESS ? NO_VALUE : ownBucket < cohort.threshold ? INSIDE : OUTSIDE
      }
      if (placement === INSIDE) return cohort.included
      if (placement === OUTSIDE) outside = true
      else missing = true
    }
    if (outside) return RESULTS.outsideRollout
    return missing ? RESULTS.missingStickiness : RESULTS.noMatch
  }
}

/** A compiled flag whose every evaluation is `error`; `raw` is the state as given. */
function malformedFlag(key: string, problem: string, raw: unknown): CompiledFlag {
  // `raw` must not be undefined: `toState` returns it. A missing state is `null` in a snapshot.
  const kept = raw === undefined ? null : raw
  let version = 0
  try {
    if (isObject(raw) && typeof raw.version === 'number') version = raw.version
  } catch {
    // A throwing getter: no usable version.
  }
  return new ConstantFlag(key, problem, version, CONSTANT, RESULTS.error, NO_COHORTS, false, key, DEFAULT_STICKINESS, undefined, kept, NO_PREFIX)
}

function compileFlagUnsafe(state: FlagState, segments: SegmentMap): CompiledFlag {
  // No closures here: compiling 10,000 flags made two per flag, all garbage at once.
  if (!isObject(state)) return malformedFlag('', 'state is not an object', state)
  const key = state.key
  if (typeof key !== 'string') return malformedFlag('', 'key must be a string', state)
  if (typeof state.enabled !== 'boolean') return malformedFlag(key, 'enabled must be a boolean', state)
  const { salt: rawSalt, stickiness: rawStickiness } = state
  if (rawSalt !== undefined && typeof rawSalt !== 'string') return malformedFlag(key, 'salt not a string', state)
  if (rawStickiness !== undefined && typeof rawStickiness !== 'string') {
    return malformedFlag(key, 'stickiness must be a string', state)
  }
  // Compiled even when off, so a malformed state reports `error` rather than hiding behind `off`.
  const cohorts = compileCohorts(state, segments)
  const version = state.version
  const clientSide = typeof state.clientSide === 'boolean' ? state.clientSide : undefined

  // PRODUCT.md: the salt defaults to the flag key; the server normally fills it in. The key's
  // own string is kept when they are equal (one string per flag, not two copies from JSON).
  const salt = rawSalt === undefined || rawSalt === '' || rawSalt === key ? key : rawSalt
  const stickiness =
    rawStickiness === undefined || rawStickiness === '' || rawStickiness === DEFAULT_STICKINESS
      ? DEFAULT_STICKINESS
      : rawStickiness
  // A first cohort of everyone at 100% answers every user the same way: skip the loop.
  const first = cohorts[0]
  const mode = !state.enabled ? CONSTANT : first !== undefined && first.unconditional && first.full ? FIRST_FULL : COHORTS
  const answer = mode === CONSTANT ? RESULTS.off : mode === FIRST_FULL ? first!.included : RESULTS.error
  // The salt's bytes are hashed once here; each evaluation hashes only the user's value.
  const prefix = mode === COHORTS ? keyPrefix(salt, BUCKET_SEED) : NO_PREFIX
  const Class = flagClass(mode, cohorts)
  return new Class(key, undefined, version, mode, answer, cohorts, state.enabled, salt, stickiness, clientSide, undefined, prefix)
}

/** The class of a well-formed flag's compiled form, by its evaluation mode. */
function flagClass(mode: number, cohorts: readonly CompiledCohort[]) {
  if (mode === CONSTANT) return ConstantFlag
  if (mode === FIRST_FULL) return EveryoneFlag
  for (let i = 0; i < cohorts.length; i++) if (cohorts[i]!.mode !== undefined) return ModedFlag
  return Flag
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
    return malformedFlag(key, error instanceof Error ? error.message : String(error), state)
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
