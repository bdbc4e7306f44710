import { keyPrefix, murmur3Bytes, murmur3FromPrefix, type KeyPrefix } from './murmur3.ts'
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

/**
 * murmur3_x86_32(seed 0) of the bytes unleash-client hashes for `prefix + ':' + value`: the low
 * byte of each UTF-16 code unit (its `murmurhash3js` reads `charCodeAt(i) & 0xff`). For ASCII
 * these are the UTF-8 bytes; for anything else they are not, and the Node client is the reference
 * (SPEC.md §3.1: Unleash's Go, Java and Python SDKs hash UTF-8 and differ there).
 */
function unleashHash(prefix: string, value: string): number {
  const key = `${prefix}:${value}`
  const bytes = new Uint8Array(key.length)
  for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i) & 0xff
  return murmur3Bytes(bytes, 0, bytes.length, 0)
}

const isAscii = (s: string) => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false
  return true
}

class UnleashRollout implements ModeRollout {
  readonly everyone = false
  /** The hash state after `groupId:` when the group id is ASCII (then low bytes are UTF-8). */
  private readonly prefix: KeyPrefix | undefined

  constructor(
    readonly source: CohortBucketing & { mode: 'unleash' },
    private readonly rollout: number,
  ) {
    this.prefix = isAscii(source.groupId) ? keyPrefix(source.groupId, 0) : undefined
  }

  /** murmur3 % 100 + 1 of `groupId:value` as unleash-client hashes it; no allocation for ASCII. */
  private normalized(value: string): number {
    const hash =
      this.prefix !== undefined && isAscii(value) ? murmur3FromPrefix(this.prefix, value) >>> 0 : unleashHash(this.source.groupId, value)
    return (hash % 100) + 1
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
    return this.normalized(value) <= this.rollout ? INSIDE : OUTSIDE
  }
}

const LD_BUCKETS = 100_000
const TWO_32 = 2 ** 32
const TWO_28 = 2 ** 28

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
 * floor(h × 100000 / 0xFFFFFFFFFFFFFFF) for the 60-bit h made of the first 15 hex digits of a
 * SHA-1 (word 0 and the top 28 bits of word 1), exactly, in doubles (no BigInt: this runs per
 * evaluation). With M = 2^60 − 1 and X = h × 100000:
 * - h = hi × 2^32 + lo (hi: 28 bits, lo: 32), so X = (hi × 100000) × 2^32 + lo × 100000, both
 *   products exact (below 2^45 and 2^49);
 * - q = floor(X / 2^60) = floor(hi × 100000 / 2^28) + carry, where carry says whether the rest,
 *   (hi × 100000 mod 2^28) × 2^32 + lo × 100000, reaches 2^60 (compared exactly, as multiples);
 * - X / M exceeds X / 2^60 by less than 1, so the answer is q, or q + 1 when X ≥ (q + 1) × M,
 *   i.e. when lo × 100000 + q + 1 ≥ (k + 1) × 2^60 − rest-high × 2^32 — again exact.
 * `test/sdk/core/bucketing-modes.test.ts` checks it against BigInt at the boundaries.
 *
 * @example
 * launchDarklyBucketOfWords(0xffffffff, 0xfffffff0) // 99999
 */
export function launchDarklyBucketOfWords(w0: number, w1: number): number {
  const hi = w0 >>> 4
  const lo = (((w0 & 0xf) << 28) | (w1 >>> 4)) >>> 0
  const A = hi * LD_BUCKETS
  const q1 = Math.floor(A / TWO_28)
  const rA = A - q1 * TWO_28 // A mod 2^28, exact
  const low = lo * LD_BUCKETS // < 2^49, exact
  // rest = rA × 2^32 + low; carry when rest ≥ 2^60, i.e. low ≥ (2^28 − rA) × 2^32.
  const carry = low >= (TWO_28 - rA) * TWO_32 ? 1 : 0
  const q = q1 + carry
  // r = rest − carry × 2^60; q + 1 when r ≥ 2^60 − (q + 1), i.e. low + q + 1 ≥ ((carry + 1) × 2^28 − rA) × 2^32.
  const bucket = low + q + 1 >= ((carry + 1) * TWO_28 - rA) * TWO_32 ? q + 1 : q
  // Only h = 0xFFFFFFFFFFFFFFF gives 100000; LaunchDarkly puts it in the last slice, as 99999 does.
  return Math.min(bucket, LD_BUCKETS - 1)
}

/**
 * LaunchDarkly's bucket of a hash input, 0–99999: the first 15 hex digits of its SHA-1 as an
 * integer h (60 bits), floor(h × 100000 / 0xFFFFFFFFFFFFFFF), exactly.
 *
 * @example
 * launchDarklyBucket('flag.salt.user-1') // an integer in [0, 100000)
 */
export function launchDarklyBucket(input: string): number {
  const [w0, w1] = sha1Words(input)
  return launchDarklyBucketOfWords(w0, w1)
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
