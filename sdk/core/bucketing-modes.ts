import { keyPrefix, murmur3FromPrefix, type KeyPrefix } from './murmur3.ts'
import { sha1Words } from './sha1.ts'
import { stickinessValue } from './stickiness.ts'
import { BUCKETING_MODES, type BucketingMode, type CohortBucketing, type FlagState, type User } from './types.ts'

/**
 * A cohort's bucketing mode other than the project's own (SPEC.md §1, "Bucketing modes"): the
 * hash of the product a flag was imported from, so that every user keeps the bucket they had
 * there. One class per mode; a compiled cohort holds one `ModeRollout` with its rollout baked in.
 * The formulas are a cross-language contract pinned by `sdk/fixtures/bucketing-compat.json`.
 */

/** Where a user falls against a cohort's rollout. */
export const INSIDE = 0
export const OUTSIDE = 1
/** The user has no value to hash: outside, reason `missing_stickiness`. */
export const NO_VALUE = 2
export type Placement = typeof INSIDE | typeof OUTSIDE | typeof NO_VALUE

/** A cohort's rollout under a source product's bucketing. */
export interface ModeRollout {
  /** The bucketing as compiled (the state's own fields, defaults filled in). */
  readonly source: CohortBucketing
  /** Every user is inside, whatever their attributes (no hash needed). */
  readonly everyone: boolean
  place(user: User): Placement
}

/** Unleash's stickiness that means "userId, else sessionId" (and else random, which we never do). */
const UNLEASH_DEFAULT = 'default'
/** Unleash draws a random number per evaluation: nothing deterministic to hash. */
const UNLEASH_RANDOM = 'random'

class UnleashRollout implements ModeRollout {
  private readonly prefix: KeyPrefix
  readonly everyone = false

  constructor(
    readonly source: CohortBucketing & { mode: 'unleash' },
    private readonly rollout: number,
  ) {
    this.prefix = keyPrefix(source.groupId, 0)
  }

  place(user: User): Placement {
    const { stickiness } = this.source
    const value =
      stickiness === UNLEASH_DEFAULT
        ? (stickinessValue(user, 'userId') ?? stickinessValue(user, 'sessionId'))
        : stickiness === UNLEASH_RANDOM
          ? undefined
          : stickinessValue(user, stickiness)
    if (value === undefined) return NO_VALUE
    if (!(this.rollout > 0)) return OUTSIDE
    // unleash-client: normalizedStrategyValue = murmur3(`${groupId}:${id}`, 0) % 100 + 1.
    const normalized = ((murmur3FromPrefix(this.prefix, value) >>> 0) % 100) + 1
    return normalized <= this.rollout ? INSIDE : OUTSIDE
  }
}

/** 0xFFFFFFFFFFFFFFF: the largest 15-hex-digit hash, LaunchDarkly's scale. */
const LD_SCALE = 0xfffffffffffffffn
const LD_BUCKETS = 100_000

/**
 * LaunchDarkly's bucketable value: strings as they are, integers as decimal text, anything else
 * (missing, floats, booleans) undefined, which LaunchDarkly buckets as 0.
 */
function launchDarklyValue(user: User, attribute: string): string | undefined {
  const value = user[attribute]
  if (typeof value === 'string') return value
  if (Number.isInteger(value)) return String(value)
  return undefined
}

/**
 * LaunchDarkly's bucket of a hash input, 0–99999: the first 15 hex digits of its SHA-1 as an
 * integer h (60 bits), floor(h * 100000 / 0xFFFFFFFFFFFFFFF), exactly (BigInt, no float).
 *
 * @example
 * launchDarklyBucket('flag.salt.user-1') // an integer in [0, 100000)
 */
export function launchDarklyBucket(input: string): number {
  const [w0, w1] = sha1Words(input)
  const h = (BigInt(w0) << 28n) | BigInt(w1 >>> 4)
  return Number((h * BigInt(LD_BUCKETS)) / LD_SCALE)
}

class LaunchDarklyRollout implements ModeRollout {
  private readonly prefix: string
  private readonly threshold: number
  readonly everyone: boolean

  constructor(
    readonly source: CohortBucketing & { mode: 'launchdarkly' },
    rollout: number,
  ) {
    // LaunchDarkly: `seed ? Number(seed) : key + '.' + salt` — a seed of 0 counts as no seed.
    const { seed } = source
    this.prefix = seed !== undefined && seed !== 0 ? `${seed}.` : `${source.flagKey}.${source.salt}.`
    this.threshold = Math.round(rollout * 1000)
    // A missing value still has a bucket (0), so a full slice includes everyone.
    this.everyone = this.threshold >= LD_BUCKETS
  }

  place(user: User): Placement {
    const value = launchDarklyValue(user, this.source.attribute)
    const bucket = value === undefined ? 0 : launchDarklyBucket(this.prefix + value)
    // The `true` slice starts at `offset` and may wrap past 99999 (widening grows it in place).
    const position = (bucket - this.source.offset + LD_BUCKETS) % LD_BUCKETS
    if (position < this.threshold) return INSIDE
    return value === undefined ? NO_VALUE : OUTSIDE
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * What is wrong with a cohort's `bucketing` value, naming the field; undefined when it is valid
 * (or absent). The one home of the rule: the core compiles with it (a problem makes the flag
 * malformed: reason `error`, off) and the server's validation refuses with the same words.
 *
 * @example
 * bucketingProblem({ mode: 'unleash', stickiness: 'userId' }) // 'bucketing.groupId must be a string'
 */
export function bucketingProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (!isRecord(value)) return 'bucketing must be an object'
  const { mode } = value
  if (!(BUCKETING_MODES as readonly unknown[]).includes(mode)) {
    return `bucketing.mode must be one of ${BUCKETING_MODES.join(', ')} (got ${JSON.stringify(mode) ?? 'nothing'})`
  }
  const text = (field: string, nonEmpty: boolean) => {
    const v = value[field]
    if (typeof v !== 'string') return `bucketing.${field} must be a string`
    return nonEmpty && v === '' ? `bucketing.${field} must not be empty` : undefined
  }
  if (mode === 'unleash') return text('groupId', false) ?? text('stickiness', true)
  const { seed, offset } = value
  if (seed !== undefined && !(Number.isSafeInteger(seed))) return 'bucketing.seed must be an integer'
  if (!(Number.isInteger(offset) && (offset as number) >= 0 && (offset as number) < LD_BUCKETS)) {
    return 'bucketing.offset must be an integer from 0 to 99999'
  }
  return text('flagKey', true) ?? text('salt', false) ?? text('attribute', true)
}

/**
 * Compiles a cohort's bucketing with its rollout. Throws a TypeError naming the field when it is
 * malformed or names a mode this core does not know: `compileFlag` turns that into a malformed
 * flag (every evaluation `error`), never the project's own hash.
 */
export function compileModeRollout(value: unknown, rollout: number): ModeRollout {
  const problem = bucketingProblem(value)
  if (problem !== undefined) throw new TypeError(problem)
  const raw = value as CohortBucketing
  if (raw.mode === 'unleash') {
    return new UnleashRollout({ mode: 'unleash', groupId: raw.groupId, stickiness: raw.stickiness }, rollout)
  }
  return new LaunchDarklyRollout(
    {
      mode: 'launchdarkly',
      flagKey: raw.flagKey,
      salt: raw.salt,
      attribute: raw.attribute,
      ...(raw.seed === undefined ? {} : { seed: raw.seed }),
      offset: raw.offset,
    },
    rollout,
  )
}

/**
 * The bucketing modes a flag state's cohorts use (each once, in `BUCKETING_MODES` order). A value
 * that is not a known mode is returned as `unknown`: a reader that does not know it must treat the
 * flag as unavailable. Never throws.
 *
 * @example
 * bucketingModesOf(state) // ['unleash']
 */
export function bucketingModesOf(state: FlagState): Array<BucketingMode | 'unknown'> {
  const found = new Set<BucketingMode | 'unknown'>()
  if (!isRecord(state) || !Array.isArray(state.cohorts)) return []
  for (const cohort of state.cohorts as unknown[]) {
    if (!isRecord(cohort) || cohort.bucketing === undefined) continue
    const mode = isRecord(cohort.bucketing) ? cohort.bucketing.mode : undefined
    found.add((BUCKETING_MODES as readonly unknown[]).includes(mode) ? (mode as BucketingMode) : 'unknown')
  }
  return [...BUCKETING_MODES, 'unknown' as const].filter((mode) => found.has(mode))
}
