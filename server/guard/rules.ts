import { GUARD_RULE_KINDS, GUARD_RULE_NAMES, type GuardRuleKind, type GuardRuleName } from '../../api-shapes/guard-rules.ts'
import { counterIndex } from '../../sdk/core/metrics.ts'
import { AbsoluteRateTest, RateRatioTest, type RuleReading, type RuleState } from './sequential.ts'

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
export const RULE_TESTS: Record<GuardRuleKind['test'], (limit: number, state?: RuleState) => RuleTest> = {
  // The canary's rate alone: the class's (exposures, events) reads the first two inputs.
  rate_above_limit: (limit, state) => new AbsoluteRateTest(limit, state),
  ratio_to_control(limit, state) {
    const test = new RateRatioTest(limit, state)
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
  /** Where the test's inputs sit in a packed counter array: canary exposures, events, control exposures, events. */
  inputs: readonly [number, number, number, number]
}

/** A rule's limit from guard settings (undefined: the rule does not run). */
export const limitOf = (settings: object, kind: GuardRuleKind): number | undefined =>
  (settings as Record<string, number | undefined>)[kind.setting]

/**
 * The rules a guard's settings run, in the table's order, resumed from `states` (keyed by the
 * rules' settings) when given.
 */
export function runningRules(settings: object, states?: Partial<Record<string, RuleState | null>>): RunningRule[] {
  const out: RunningRule[] = []
  for (const rule of GUARD_RULE_NAMES) {
    const kind: GuardRuleKind = GUARD_RULE_KINDS[rule]
    const limit = limitOf(settings, kind)
    if (limit === undefined) continue
    const inputs = [
      counterIndex('canary', 'exposures'),
      counterIndex('canary', kind.event),
      counterIndex('control', 'exposures'),
      counterIndex('control', kind.event),
    ] as const
    out.push({ rule, kind, limit, inputs, test: RULE_TESTS[kind.test](limit, states?.[kind.setting] ?? undefined) })
  }
  return out
}
