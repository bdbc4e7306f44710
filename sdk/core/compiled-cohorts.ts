import { BUCKET_COUNT, rolloutThreshold } from './bucket.ts'
import { compileModeRollout, type ModeRollout } from './bucketing-modes.ts'
import { conditionOf, type CompiledCondition } from './conditions.ts'
import { genericResult } from './generic-reason.ts'
import { WeakTable } from './intern.ts'
import { murmur3Signed } from './murmur3.ts'
import { frozenResult } from './results.ts'
import type { Condition, EvalResult, FlagState, SegmentMap, User } from './types.ts'

/**
 * Compiled cohorts and their sharing between flags (see `evaluate.ts`, which loops over them).
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/**
 * A compiled cohort. Immutable and shared by every flag whose cohort at the same position has
 * the same name, rollout and (shared) conditions, so a thousand flags with the same rules hold
 * one of each.
 */
export class CompiledCohort {
  /** The condition when there is exactly one (most cohorts): no inner loop. */
  readonly single: CompiledCondition | undefined
  /** Buckets `[0, threshold)` are inside. */
  readonly threshold: number
  /** Rollout covers every bucket: no hash and no stickiness attribute needed. */
  readonly full: boolean
  /** No conditions: every user meets them. */
  readonly unconditional: boolean
  readonly included: Readonly<EvalResult>
  /** The public form of `included`: SPLIT when partial, else TARGETING_MATCH. */
  readonly generic: Readonly<EvalResult>

  constructor(
    readonly name: string,
    readonly rollout: number,
    readonly conditions: readonly CompiledCondition[],
    /** A source product's bucketing (Unleash, LaunchDarkly); undefined = the project's own. */
    readonly mode: ModeRollout | undefined = undefined,
  ) {
    this.single = conditions.length === 1 ? conditions[0] : undefined
    this.threshold = rolloutThreshold(rollout)
    // Unleash leaves a user without a stickiness value out even at 100%: only a mode that
    // buckets every user (LaunchDarkly's bucket 0 for a missing value) may skip the hash.
    this.full = mode === undefined ? this.threshold >= BUCKET_COUNT : mode.everyone
    this.unconditional = conditions.length === 0
    this.included = frozenResult(true, `cohort:${name}`)
    this.generic = genericResult(this.included, { split: this.threshold < BUCKET_COUNT })
  }

  /** All of the cohort's conditions hold. */
  holds(user: User): boolean {
    const single = this.single
    if (single !== undefined) return single.holds(user)
    const conditions = this.conditions
    for (let i = 0; i < conditions.length; i++) if (!conditions[i]!.holds(user)) return false
    return true
  }
}

/**
 * Shared cohorts and cohort lists (see `CompiledCohort`), keyed by a hash of what makes them
 * equal and matched field by field: no key string is built per cohort (compiling 10,000 flags
 * made tens of thousands of them, all garbage at once).
 */
const SHARED_COHORTS = new WeakTable<number, CompiledCohort>()
const SHARED_COHORT_LISTS = new WeakTable<number, readonly CompiledCohort[]>()
/** A shared cohort's id (cohort lists are keyed by them) and its position in its flag. */
const sharedCohorts = new WeakMap<CompiledCohort, { id: number; index: number }>()
let nextCohortId = 1

/** Number of distinct cohorts held for sharing (tests). */
export const sharedCohortCount = (): number => SHARED_COHORTS.size

/**
 * A run of compiled parts being collected: the first `length` items of `items`, an array reused
 * from flag to flag, copied out only when the parts are kept (not when an equal shared cohort or
 * cohort list is found, the usual case). Conditions compile no cohorts, so one of each suffices.
 */
interface Parts<T> {
  items: T[]
  length: number
}
const conditionParts: Parts<CompiledCondition> = { items: [], length: 0 }
const cohortParts: Parts<CompiledCohort> = { items: [], length: 0 }
const kept = <T>(parts: Parts<T>): T[] => parts.items.slice(0, parts.length)

function sameItems<T>(a: readonly T[], parts: Parts<T>): boolean {
  if (a.length !== parts.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== parts.items[i]) return false
  return true
}

/** What a cohort lookup compares; one object reused by every lookup (nothing captured, nothing allocated). */
const wanted = { index: 0, name: '', rollout: 0 }

function sameCohort(candidate: CompiledCohort, probe: typeof wanted): boolean {
  if (candidate.name !== probe.name || candidate.rollout !== probe.rollout) return false
  if (sharedCohorts.get(candidate)?.index !== probe.index) return false
  return sameItems(candidate.conditions, conditionParts)
}

/**
 * A cohort's compiled form from its conditions (`conditionParts`), shared when all of them are.
 * The position is part of the key so two cohorts of one flag never share a result object
 * (`generic` tells them apart by it).
 */
function cohortOf(index: number, name: string, rollout: number): CompiledCohort {
  const { items, length } = conditionParts
  let h = Math.imul(index + 1, 0x9e3779b1) ^ murmur3Signed(name) ^ Math.imul(Math.round(rollout * 1000), 0x85ebca6b)
  for (let i = 0; i < length; i++) {
    const id = items[i]!.id
    if (id === undefined) return new CompiledCohort(name, rollout, kept(conditionParts))
    h = Math.imul(h ^ id, 0x01000193)
  }
  wanted.index = index
  wanted.name = name
  wanted.rollout = rollout
  const found = SHARED_COHORTS.lookup(h, sameCohort, wanted)
  if (found !== undefined) return found
  const cohort = new CompiledCohort(name, rollout, kept(conditionParts))
  sharedCohorts.set(cohort, { id: nextCohortId++, index })
  return SHARED_COHORTS.add(h, cohort)
}

/** The list of a flag's cohorts (`cohortParts`), shared between flags with the same (shared) cohorts. */
function cohortListOf(): readonly CompiledCohort[] {
  const { items, length } = cohortParts
  let h = 0x811c9dc5
  for (let i = 0; i < length; i++) {
    const shared = sharedCohorts.get(items[i]!)
    if (shared === undefined) return kept(cohortParts)
    h = Math.imul(h ^ shared.id, 0x01000193)
  }
  return SHARED_COHORT_LISTS.lookup(h, sameItems, cohortParts) ?? SHARED_COHORT_LISTS.add(h, kept(cohortParts))
}

/** Throws on a malformed state; `compileFlag` turns that into a flag that answers `error`. */
export function compileCohorts(state: FlagState, segments: SegmentMap): readonly CompiledCohort[] {
  const cohorts: unknown = state.cohorts
  if (!Array.isArray(cohorts)) throw new TypeError('cohorts must be an array')
  // Loops rather than `map` callbacks, into reused arrays: see `Parts`.
  cohortParts.length = 0
  try {
    for (let index = 0; index < cohorts.length; index++) {
      const cohort = compileCohort(cohorts[index], index, segments)
      cohortParts.items[index] = cohort
      cohortParts.length = index + 1
    }
    return cohortListOf()
  } finally {
    // The reused array must not keep compiled parts alive (shared ones are held weakly).
    cohortParts.items.fill(undefined as never)
  }
}

function compileCohort(cohort: unknown, index: number, segments: SegmentMap): CompiledCohort {
  if (!isObject(cohort)) throw new TypeError(`cohort ${index} is not an object`)
  const { name, conditions, rollout } = cohort
  if (typeof name !== 'string') throw new TypeError(`cohort ${index}: name must be a string`)
  if (!Array.isArray(conditions)) throw new TypeError(`cohort ${name}: conditions not an array`)
  if (typeof rollout !== 'number' || !(rollout >= 0 && rollout <= 100)) {
    throw new TypeError(`cohort ${name}: rollout must be a number in [0, 100]`)
  }
  conditionParts.length = 0
  try {
    for (let i = 0; i < conditions.length; i++) {
      conditionParts.items[i] = conditionOf(conditions[i] as Condition, segments)
      conditionParts.length = i + 1
    }
    if (cohort.bucketing === undefined) return cohortOf(index, name, rollout)
    // Cohorts with a source product's bucketing are rare (imported flags): never shared.
    return new CompiledCohort(name, rollout, kept(conditionParts), compileModeRollout(cohort.bucketing, rollout))
  } finally {
    conditionParts.items.fill(undefined as never)
  }
}
