import type { EvalResult, GenericReason, Reason } from './types.ts'

/**
 * The reasons a public (client-key) answer may carry: OpenFeature's vocabulary, which says how
 * an answer came about without naming a cohort or a segment. Detailed reasons stay with server
 * keys and the admin API. No dependencies, so the browser build can share it.
 */

export const GENERIC_REASONS = ['TARGETING_MATCH', 'SPLIT', 'DEFAULT', 'DISABLED', 'ERROR'] as const

/**
 * The generic reason for a detailed one. `split` says whether a `cohort:<name>` answer came
 * through a partial rollout (the cohort's rollout is under 100%): that is a pseudorandom
 * assignment (SPLIT); a cohort at 100% (a beta list, a region) is a rule (TARGETING_MATCH).
 * Being outside a rollout, matching no cohort or lacking the stickiness attribute all leave the
 * flag's default (DEFAULT); `off` is DISABLED; `error` and `unknown_flag` are ERROR (OpenFeature
 * reports a missing flag as an error with code FLAG_NOT_FOUND).
 *
 * @example
 * genericReason('cohort:beta', { split: false }) // 'TARGETING_MATCH'
 * genericReason('cohort:eu-canary', { split: true }) // 'SPLIT'
 * genericReason('outside_rollout', { split: false }) // 'DEFAULT'
 */
export function genericReason(reason: Reason, options: { split: boolean }): GenericReason {
  if (reason.startsWith('cohort:')) return options.split ? 'SPLIT' : 'TARGETING_MATCH'
  switch (reason) {
    case 'off':
      return 'DISABLED'
    case 'outside_rollout':
    case 'no_match':
    case 'missing_stickiness':
      return 'DEFAULT'
    case 'TARGETING_MATCH':
    case 'SPLIT':
    case 'DEFAULT':
    case 'DISABLED':
    case 'ERROR':
      return reason
    default:
      return 'ERROR'
  }
}

/**
 * Shared frozen generic results, so mapping an answer allocates nothing. `@__PURE__` lets a
 * bundle that never reads them (the browser SDK) drop them.
 */
export const GENERIC_RESULTS = /* @__PURE__ */ Object.freeze({
  targetingMatch: /* @__PURE__ */ Object.freeze({ enabled: true, reason: 'TARGETING_MATCH' }),
  split: /* @__PURE__ */ Object.freeze({ enabled: true, reason: 'SPLIT' }),
  default: /* @__PURE__ */ Object.freeze({ enabled: false, reason: 'DEFAULT' }),
  disabled: /* @__PURE__ */ Object.freeze({ enabled: false, reason: 'DISABLED' }),
  error: /* @__PURE__ */ Object.freeze({ enabled: false, reason: 'ERROR' }),
} satisfies Record<string, Readonly<EvalResult>>)

/**
 * The public form of a detailed answer: the same `enabled`, the generic reason.
 *
 * @example
 * genericResult({ enabled: true, reason: 'cohort:beta' }, { split: false })
 * // { enabled: true, reason: 'TARGETING_MATCH' }
 */
export function genericResult(result: EvalResult, options: { split: boolean }): Readonly<EvalResult> {
  switch (genericReason(result.reason, options)) {
    case 'TARGETING_MATCH':
      return result.enabled ? GENERIC_RESULTS.targetingMatch : GENERIC_RESULTS.error
    case 'SPLIT':
      return result.enabled ? GENERIC_RESULTS.split : GENERIC_RESULTS.error
    case 'DEFAULT':
      return GENERIC_RESULTS.default
    case 'DISABLED':
      return GENERIC_RESULTS.disabled
    default:
      return GENERIC_RESULTS.error
  }
}
