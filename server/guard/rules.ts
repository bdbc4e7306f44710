import { GUARD_RULE_KINDS, GUARD_RULE_NAMES, type GuardRuleKind, type GuardRuleName } from '../../api-shapes/guard-rules.ts'
import { counterIndex } from '../../sdk/core/metrics.ts'
import { AbsoluteRateTest, RateRatioTest, thresholdsFor, type RuleReading, type RuleState, type Thresholds } from './sequential.ts'

/**
 * A rule's sequential test: it observes one second's exposures and events (the rule's event
 * metric) per arm.
 */
export interface RuleTest {
  readonly state: RuleState
  observe(canaryExposures: number, canaryEvents: number, controlExposures: number, controlEvents: number): void
  crossed(): boolean
  reading(): RuleReading
}

/**
 * The tests a rule kind can name (`test` in api-shapes/guard-rules.ts), each over any event
 * metric: the guard looks them up here and never names a rule or a metric itself.
 */
export const RULE_TESTS: Record<GuardRuleKind['test'], (limit: number, state: RuleState | undefined, at: Thresholds) => RuleTest> = {
  // The canary's rate alone: the class's (exposures, events) reads the first two inputs.
  rate_above_limit: (limit, state, at) => new AbsoluteRateTest(limit, state, at),
  ratio_to_control(limit, state, at) {
    const test = new RateRatioTest(limit, state, at)
    return {
      state: test.state,
      observe: (n, x, m, y) => test.observe({ canaryExposures: n, canaryErrors: x, controlExposures: m, controlErrors: y }),
      crossed: () => test.crossed(),
      reading: () => test.reading(),
    }
  },
}

/** One running rule of a flag's guard. */
export interface RunningRule {
  rule: GuardRuleName
  kind: GuardRuleKind
  limit: number
  test: RuleTest
  /** Where the test's inputs sit in a packed counter array: canary trials (`over`), events, control trials, events. */
  inputs: readonly [number, number, number, number]
}

/** A rule's limit from guard settings, in its group when it has one (undefined: the rule does not run). */
export function limitOf(settings: object, kind: GuardRuleKind): number | undefined {
  const holder = (kind.group ? (settings as Record<string, object | undefined>)[kind.group] : settings) as Record<string, unknown> | undefined
  const limit = holder?.[kind.setting]
  return typeof limit === 'number' ? limit : undefined
}

/** The rules a guard's settings run, in the table's order. */
export const configuredRules = (settings: object): GuardRuleName[] =>
  GUARD_RULE_NAMES.filter((rule) => limitOf(settings, GUARD_RULE_KINDS[rule]) !== undefined)

/**
 * The rules a guard's settings run, in the table's order, resumed from `states` (keyed by the
 * rules' settings) when given. They share the flag's false-trip budget evenly (`thresholdsFor`).
 */
export function runningRules(settings: object, states?: Partial<Record<string, RuleState | null>>): RunningRule[] {
  const rules = configuredRules(settings)
  const at = thresholdsFor(rules.length)
  return rules.map((rule) => {
    const kind: GuardRuleKind = GUARD_RULE_KINDS[rule]
    const limit = limitOf(settings, kind)!
    const inputs = [
      counterIndex('canary', kind.over),
      counterIndex('canary', kind.event),
      counterIndex('control', kind.over),
      counterIndex('control', kind.event),
    ] as const
    return { rule, kind, limit, inputs, test: RULE_TESTS[kind.test](limit, states?.[kind.setting] ?? undefined, at) }
  })
}
