import type { Metric } from '../sdk/core/metrics.ts'

/**
 * The guard's rule kinds as data: the one table the guard (server/guard/rules.ts), the API
 * shapes, the CLI and the console read. A row says which event it counts (a metric of
 * sdk/core/metrics.ts, taken over exposures), which sequential test judges it
 * (server/guard/sequential.ts), the setting holding its limit (also the key of its reading in
 * the guard's figures and of its state in the stored evidence), and its words.
 *
 * Adding a rule: a row here, its metric and recorder in the SDK, and, if no test fits, a test in
 * the guard's test table. The latency rules are two rows over the `slow` and `timed` metrics.
 */
export interface GuardRuleKind {
  /** The event counted among `over`. */
  event: Metric
  /** What the event's rate is taken over: all exposures, or only those that reported a duration (`timed`). */
  over: Metric
  /** The settings object holding the limit: the guard's own (absent), or a group of it such as `latency`. */
  group?: 'latency'
  /** `rate_above_limit`: the canary's event rate against the limit; `ratio_to_control`: the canary's rate against control's times the limit. */
  test: 'rate_above_limit' | 'ratio_to_control'
  /** The guard setting with the limit; a rule whose setting is absent does not run. */
  setting: string
  /** Every guard runs this rule (its setting is required). */
  required: boolean
  words: {
    /** Why a trip happened (trip banner, CLI). */
    trip: string
    /** The rule's name where it appears as a value in the audit log. */
    audit: string
    /** Labels in audit diffs: of the setting, and of the rule's name as a field. */
    setting: string
    name: string
  }
}

export const GUARD_RULE_KINDS = {
  max_error_rate: {
    event: 'errors',
    over: 'exposures',
    test: 'rate_above_limit',
    setting: 'maxErrorRate',
    required: true,
    words: { trip: 'error rate over the limit', audit: 'error rate over the limit', setting: 'Error-rate limit', name: 'error-rate limit' },
  },
  max_ratio_to_control: {
    event: 'errors',
    over: 'exposures',
    test: 'ratio_to_control',
    setting: 'maxRatioToControl',
    required: false,
    words: {
      trip: 'error rate over the ratio to control',
      audit: 'ratio to control over the limit',
      setting: 'Ratio-to-control limit',
      name: 'ratio to control',
    },
  },
  max_slow_rate: {
    event: 'slow',
    over: 'timed',
    group: 'latency',
    test: 'rate_above_limit',
    setting: 'maxSlowRate',
    required: false,
    words: { trip: 'slow-request share over the limit', audit: 'slow-request share over the limit', setting: 'Slow-request limit', name: 'slow-request limit' },
  },
  max_slow_ratio_to_control: {
    event: 'slow',
    over: 'timed',
    group: 'latency',
    test: 'ratio_to_control',
    setting: 'maxSlowRatioToControl',
    required: false,
    words: {
      trip: 'slow-request share over the ratio to control',
      audit: 'slow-request ratio to control over the limit',
      setting: 'Slow-request ratio-to-control limit',
      name: 'slow-request ratio to control',
    },
  },
} as const satisfies Record<string, GuardRuleKind>

export type GuardRuleName = keyof typeof GUARD_RULE_KINDS
/** Rule names in the table's order: the order the guard checks them in. */
export const GUARD_RULE_NAMES = Object.keys(GUARD_RULE_KINDS) as [GuardRuleName, ...GuardRuleName[]]
/** The setting (and figures key) of each rule. */
export type GuardRuleSetting = (typeof GUARD_RULE_KINDS)[GuardRuleName]['setting']
