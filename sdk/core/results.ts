import type { Arm, EvalResult, Reason } from './types.ts'

/**
 * Evaluation results and guard arms, in a module with no dependencies so that the browser build
 * (which never evaluates rules, and must not pull in re2js or semver) can share them.
 */

/**
 * A frozen result. Evaluation returns shared instances built once, so it allocates nothing.
 *
 * @example
 * const included = frozenResult(true, 'cohort:beta') // built once per cohort at compile time
 */
export function frozenResult(enabled: boolean, reason: Reason): Readonly<EvalResult> {
  return Object.freeze({ enabled, reason })
}

/**
 * The shared, frozen results for every reason except `cohort:<name>` (precomputed per cohort).
 * Callers may compare by identity; mutating them throws.
 */
export const RESULTS = Object.freeze({
  off: frozenResult(false, 'off'),
  outsideRollout: frozenResult(false, 'outside_rollout'),
  noMatch: frozenResult(false, 'no_match'),
  unknownFlag: frozenResult(false, 'unknown_flag'),
  missingStickiness: frozenResult(false, 'missing_stickiness'),
  error: frozenResult(false, 'error'),
})

/**
 * The guard arm of an evaluation: `canary` when on, `control` when the user met a partial
 * cohort's conditions but fell outside its rollout, otherwise `none` (not counted).
 *
 * @example
 * armOf({ enabled: false, reason: 'outside_rollout' }) // 'control'
 */
export function armOf(result: EvalResult): Arm {
  if (result.enabled) return 'canary'
  return result.reason === 'outside_rollout' ? 'control' : 'none'
}
