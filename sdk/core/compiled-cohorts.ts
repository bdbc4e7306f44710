import { BUCKET_COUNT, rolloutThreshold } from './bucket.ts'
import { compileModeRollout, type ModeRollout } from './bucketing-modes.ts'
import { conditionOf, type CompiledCondition } from './conditions.ts'
import { genericResult } from './generic-reason.ts'
import { ExactWeakTable } from './intern.ts'
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

/** Shared cohorts and cohort lists (see `CompiledCohort`). Keys are exact. */
const SHARED_COHORTS = new ExactWeakTable<CompiledCohort>()
const SHARED_COHORT_LISTS = new ExactWeakTable<readonly CompiledCohort[]>()
const cohortIds = new WeakMap<CompiledCohort, number>()
let nextCohortId = 1

/** Number of distinct cohorts held for sharing (tests). */
export const sharedCohortCount = (): number => SHARED_COHORTS.size

/**
 * A cohort's compiled form, shared when all its conditions are. The position is part of the key
 * so two cohorts of one flag never share a result object (`generic` tells them apart by it).
 */
function cohortOf(index: number, name: string, rollout: number, conditions: CompiledCondition[]): CompiledCohort {
  let ids = ''
  for (const condition of conditions) {
    if (condition.id === undefined) return new CompiledCohort(name, rollout, conditions)
    ids += `${condition.id},`
  }
  const key = `${index}|${rollout}|${ids}|${name}`
  return SHARED_COHORTS.get(key, () => {
    const cohort = new CompiledCohort(name, rollout, conditions)
    cohortIds.set(cohort, nextCohortId++)
    return cohort
  })
}

/** The list of a flag's cohorts, shared between flags with the same (shared) cohorts. */
function cohortListOf(cohorts: CompiledCohort[]): readonly CompiledCohort[] {
  let key = ''
  for (const cohort of cohorts) {
    const id = cohortIds.get(cohort)
    if (id === undefined) return cohorts
    key += `${id},`
  }
  return SHARED_COHORT_LISTS.get(key, () => cohorts)
}

/** Throws on a malformed state; `compileFlag` turns that into a flag that answers `error`. */
export function compileCohorts(state: FlagState, segments: SegmentMap): readonly CompiledCohort[] {
  if (!Array.isArray(state.cohorts)) throw new TypeError('cohorts must be an array')
  const compiled = state.cohorts.map((cohort: unknown, index) => {
    if (!isObject(cohort)) throw new TypeError(`cohort ${index} is not an object`)
    const { name, conditions, rollout } = cohort
    if (typeof name !== 'string') throw new TypeError(`cohort ${index}: name must be a string`)
    if (!Array.isArray(conditions)) throw new TypeError(`cohort ${name}: conditions not an array`)
    if (typeof rollout !== 'number' || !(rollout >= 0 && rollout <= 100)) {
      throw new TypeError(`cohort ${name}: rollout must be a number in [0, 100]`)
    }
    const compiledConditions = conditions.map((c: Condition) => conditionOf(c, segments))
    if (cohort.bucketing === undefined) return cohortOf(index, name, rollout, compiledConditions)
    // Cohorts with a source product's bucketing are rare (imported flags): never shared.
    const mode = compileModeRollout(cohort.bucketing, rollout)
    return new CompiledCohort(name, rollout, compiledConditions, mode)
  })
  return cohortListOf(compiled)
}
