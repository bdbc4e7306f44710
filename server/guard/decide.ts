import type { GuardSettings } from '../../api-shapes/guard.ts'
import { GUARD_RULE_KINDS, GUARD_RULE_NAMES, type GuardRuleName, type GuardRuleSetting } from '../../api-shapes/guard-rules.ts'
import { addPacked, COUNTERS, counterIndex, flatToPacked, packedToFlat, type Evidence, type FlatCounts } from '../../sdk/core/metrics.ts'
import { limitOf, runningRules, type RunningRule } from './rules.ts'
import { BelowLimitTest, type RuleReading, type RuleState } from './sequential.ts'
import { copyRises, followRises, riseSpan } from './rise.ts'
import type { TripSpan } from '../../api-shapes/guard.ts'

/** Counts per arm by flat name (`canaryExposures`, `canarySlow`, …). */
type ArmCounts = FlatCounts

/** Guard settings of one flag in one environment: the one type, from api-shapes/guard.ts. */
export type { GuardSettings }

export type GuardRule = GuardRuleName

/** Each rule kind's reading under its setting's name (null: the rule does not run). */
export type RuleReadings = {
  [R in GuardRuleName as (typeof GUARD_RULE_KINDS)[R]['setting']]: (typeof GUARD_RULE_KINDS)[R]['required'] extends true
    ? RuleReading
    : RuleReading | null
}

/** Everything the guard looked at: in the API, the console feed, a trip's audit entry and webhook. */
export type GuardFigures = ArmCounts &
  RuleReadings & {
    /** When the tests started (flag turned on or guard changed), epoch ms. */
    since: number
    /** Seconds with counts fed to the tests. */
    seconds: number
    canaryRate: number
    controlRate: number | null
    /** Slow share of each arm (slow ÷ timed); null while the arm has reported no durations. */
    canarySlowRate: number | null
    controlSlowRate: number | null
    /** The latency bound the slow counts are taken against (null: no latency rule). */
    slowerThanMs: number | null
    /** How close to a trip, 0–1 (1 = tripped): the larger of the rules' progress. */
    progress: number
  }

export type GuardDecision =
  | { status: 'insufficient_data'; figures: GuardFigures }
  | { status: 'healthy'; figures: GuardFigures }
  | { status: 'trip'; rule: GuardRule; test: 'mixture' | 'change'; limit: number; figures: GuardFigures; span?: TripSpan }

/** A plan step's evidence that the canary's rate is below the limit. */
export interface PlanFigures extends ArmCounts {
  /** The step the test belongs to, and when it began. */
  step: number
  since: number
  canaryRate: number
  /** The canary's slow share this step (null: no durations reported this step). */
  canarySlowRate: number | null
  /** The error-rate test's statistic and threshold. */
  statistic: number
  threshold: number
  /** True once every absolute rule's test shows its rate is below its limit (and the floor is met). */
  proven: boolean
  /** The absolute rules not yet shown below their limits (`max_slow_rate` with no durations yet among them). */
  waitingOn: GuardRule[]
}

/**
 * The stored form of a flag's evidence, so a restart resumes the tests instead of restarting
 * them: each running rule's state under its setting's name (the form replicas already share).
 */
export type EvidenceSnapshot = {
  settingsKey: string
  since: number
  seconds: number
  totals: ArmCounts
  /** Counts that arrived after the last `tick` (they reach the tests at the first tick after a resume). */
  pending?: ArmCounts | undefined
  /** `test`: the error-rate rule's plan test; `others`: the other absolute rules' (latency), by setting. */
  plan: { id: string; step: number; since: number; totals: ArmCounts; test: RuleState; others?: Partial<Record<GuardRuleSetting, RuleState>> } | null
} & Partial<Record<GuardRuleSetting, RuleState | null>>

/**
 * The settings that define the test: a change to any of them starts it afresh. A guard without
 * latency rules keeps the key it had before they existed, so an upgrade resumes its tests.
 */
export function settingsKey(s: GuardSettings): string {
  const limits = GUARD_RULE_NAMES.filter((rule) => !('group' in GUARD_RULE_KINDS[rule])).map((rule) => limitOf(s, GUARD_RULE_KINDS[rule]) ?? null)
  const latency = s.latency ? [[s.latency.slowerThanMs, s.latency.maxSlowRate ?? null, s.latency.maxSlowRatioToControl ?? null]] : []
  return JSON.stringify([...limits, s.minExposures ?? 0, s.evidence ?? 'all', ...latency])
}

const CANARY_EXPOSURES = counterIndex('canary', 'exposures')

const rate = (errors: number, exposures: number) => (exposures > 0 ? errors / exposures : 0)
const rateOrNull = (events: number, trials: number) => (trials > 0 ? events / trials : null)

/**
 * A plan step's test that one absolute rule's rate is below its limit, over the rule's own
 * counters (errors over exposures, slow over timed). A plan widens only when every one is shown.
 */
interface PlanRuleTest {
  rule: GuardRule
  setting: GuardRuleSetting
  over: number
  event: number
  test: BelowLimitTest
}

/** The plan tests of a guard: one per absolute (`rate_above_limit`) rule it runs, the error rate first. */
function planTests(rules: readonly RunningRule[], states?: Partial<Record<string, RuleState>>): PlanRuleTest[] {
  return rules
    .filter((r) => r.kind.test === 'rate_above_limit')
    .map((r) => ({
      rule: r.rule,
      setting: r.kind.setting as GuardRuleSetting,
      over: r.inputs[0],
      event: r.inputs[1],
      test: new BelowLimitTest(r.limit, states?.[r.kind.setting] && copyRule(states[r.kind.setting]!)),
    }))
}

/** A rule's state by value: a snapshot must not change as the tests go on, nor be shared by two flags' evidence. */
const copyRule = (state: RuleState): RuleState => {
  const rises = copyRises(state.rises)
  return { cumulative: [...state.cumulative], change: [...state.change], ...(rises ? { rises } : {}) }
}

/**
 * One flag's evidence in one environment: counts since the start, fed to the sequential tests
 * once a second. Pure: time comes in as arguments.
 */
export class FlagEvidence {
  readonly settingsKey: string
  readonly since: number
  private seconds: number
  /** Counters packed in `COUNTERS` order: the tick runs for every guarded flag every second. */
  private readonly totals: Float64Array
  private readonly rules: RunningRule[]
  private plan: { id: string; step: number; since: number; totals: Float64Array; tests: PlanRuleTest[] } | null
  /** Counts that arrived since the last `tick`. */
  private readonly pending = new Float64Array(COUNTERS.length)
  private hasPending = false

  constructor(
    private readonly settings: GuardSettings,
    since: number,
    resume?: EvidenceSnapshot,
  ) {
    this.settingsKey = settingsKey(settings)
    const r = resume?.settingsKey === this.settingsKey ? resume : undefined
    this.since = r?.since ?? since
    this.seconds = r?.seconds ?? 0
    this.totals = r ? flatToPacked(r.totals) : new Float64Array(COUNTERS.length)
    const states = r && Object.fromEntries(GUARD_RULE_NAMES.map((rule) => GUARD_RULE_KINDS[rule].setting).map((k) => [k, r[k] ? copyRule(r[k]) : null]))
    this.rules = runningRules(settings, states)
    this.plan = r?.plan
      ? {
          id: r.plan.id,
          step: r.plan.step,
          since: r.plan.since,
          totals: flatToPacked(r.plan.totals),
          tests: planTests(this.rules, { ...r.plan.others, maxErrorRate: r.plan.test }),
        }
      : null
    if (r?.pending) {
      this.pending.set(flatToPacked(r.pending))
      this.hasPending = this.pending.some((v) => v !== 0)
    }
  }

  /** Counts that arrived now; they reach the tests at the next `tick`. */
  add(counts: Evidence): void {
    addPacked(this.pending, counts)
    this.hasPending = true
  }

  /**
   * Feeds the counts of the second that just ended (at `at`, epoch ms: when a change detector's
   * rise began is told in its trip) to every test. Returns whether there were any.
   */
  tick(at: number): boolean {
    if (!this.hasPending) return false
    const c = this.pending
    this.hasPending = false
    this.seconds++
    for (let i = 0; i < c.length; i++) this.totals[i]! += c[i]!
    for (let r = 0; r < this.rules.length; r++) {
      const { test, inputs } = this.rules[r]!
      test.observe(c[inputs[0]]!, c[inputs[1]]!, c[inputs[2]]!, c[inputs[3]]!)
      followRises(test.state, at, c[inputs[0]]!, c[inputs[1]]!, c[inputs[2]]!, c[inputs[3]]!)
    }
    if (this.plan) {
      for (let i = 0; i < c.length; i++) this.plan.totals[i]! += c[i]!
      for (const { test, over, event } of this.plan.tests) test.observe(c[over]!, c[event]!)
    }
    c.fill(0)
    return true
  }

  /** The counts since the start (cheap: no test readings), for the ten-second rows. */
  counts(): { since: number } & ReturnType<typeof packedToFlat> {
    return { since: this.since, ...packedToFlat(this.totals) }
  }

  figures(): GuardFigures {
    const t = packedToFlat(this.totals)
    const readings: Record<string, RuleReading | null> = Object.fromEntries(GUARD_RULE_NAMES.map((rule) => [GUARD_RULE_KINDS[rule].setting, null]))
    let progress = 0
    for (const { kind, test } of this.rules) {
      const reading = test.reading()
      readings[kind.setting] = reading
      progress = Math.max(progress, reading.progress)
    }
    return {
      since: this.since,
      seconds: this.seconds,
      ...t,
      canaryRate: rate(t.canaryErrors, t.canaryExposures),
      controlRate: rateOrNull(t.controlErrors, t.controlExposures),
      canarySlowRate: rateOrNull(t.canarySlow, t.canaryTimed),
      controlSlowRate: rateOrNull(t.controlSlow, t.controlTimed),
      slowerThanMs: this.settings.latency?.slowerThanMs ?? null,
      ...(readings as RuleReadings),
      progress,
    }
  }

  /** The cheap check run every second: whether `decision()` would say trip. */
  wouldTrip(): boolean {
    if (this.seconds === 0 || this.totals[CANARY_EXPOSURES]! < (this.settings.minExposures ?? 0)) return false
    for (let r = 0; r < this.rules.length; r++) if (this.rules[r]!.test.crossed()) return true
    return false
  }

  /** Trip when a rule's test crossed its threshold (the table's order decides which one is named) and the optional exposure floor is met. */
  decision(): GuardDecision {
    const figures = this.figures()
    if (figures.canaryExposures < (this.settings.minExposures ?? 0) || figures.seconds === 0)
      return { status: 'insufficient_data', figures }
    for (const running of this.rules) {
      const crossed = (figures[running.kind.setting as GuardRuleSetting] as RuleReading | null)?.crossed
      if (!crossed) continue
      const span = this.spanOf(running, crossed)
      return { status: 'trip', rule: running.rule, test: crossed, limit: running.limit, figures, ...(span ? { span } : {}) }
    }
    return { status: 'healthy', figures }
  }

  /**
   * The counts the test that fired counted, in its rule's metric: since the start for the test
   * since the start, since the rise began for the change detector (none when that rise began
   * before rises were recorded: its counts are partial, and the words say its start is unknown).
   */
  private spanOf({ test, inputs }: RunningRule, crossed: 'mixture' | 'change'): TripSpan | null {
    if (crossed === 'change') return riseSpan(test.state)
    const t = this.totals
    return {
      from: 'start',
      since: this.since,
      seconds: this.seconds,
      canaryTrials: t[inputs[0]]!,
      canaryEvents: t[inputs[1]]!,
      controlTrials: t[inputs[2]]!,
      controlEvents: t[inputs[3]]!,
    }
  }

  /**
   * Starts the plan test of a step afresh unless it already runs for it. `stepId` names the step
   * of one plan (its start time and index): a replaced plan's step 0 is not the old plan's.
   */
  startPlanStep(stepId: string, step: number, at: number): void {
    if (this.plan?.id === stepId) return
    this.plan = { id: stepId, step, since: at, totals: new Float64Array(COUNTERS.length), tests: planTests(this.rules) }
  }

  stopPlan(): void {
    this.plan = null
  }

  planFigures(): PlanFigures | null {
    if (!this.plan) return null
    // The error-rate rule is required and first in the table: its test is always the first.
    const reading = this.plan.tests[0]!.test.reading()
    const t = packedToFlat(this.plan.totals)
    const waitingOn = this.plan.tests.filter(({ test }) => test.reading().crossed === null).map(({ rule }) => rule)
    return {
      step: this.plan.step,
      since: this.plan.since,
      ...t,
      canaryRate: rate(t.canaryErrors, t.canaryExposures),
      canarySlowRate: rateOrNull(t.canarySlow, t.canaryTimed),
      statistic: reading.statistic,
      threshold: reading.threshold,
      proven: waitingOn.length === 0 && t.canaryExposures >= (this.settings.minExposures ?? 0),
      waitingOn,
    }
  }

  snapshot(): EvidenceSnapshot {
    const states: Partial<Record<GuardRuleSetting, RuleState | null>> = {}
    for (const rule of GUARD_RULE_NAMES) states[GUARD_RULE_KINDS[rule].setting] = null
    for (const { kind, test } of this.rules) states[kind.setting as GuardRuleSetting] = copyRule(test.state)
    return {
      settingsKey: this.settingsKey,
      since: this.since,
      seconds: this.seconds,
      totals: packedToFlat(this.totals),
      ...(this.hasPending ? { pending: packedToFlat(this.pending) } : {}),
      ...states,
      plan: this.plan && {
        id: this.plan.id,
        step: this.plan.step,
        since: this.plan.since,
        totals: packedToFlat(this.plan.totals),
        test: copyRule(this.plan.tests[0]!.test.state),
        others: Object.fromEntries(this.plan.tests.slice(1).map(({ setting, test }) => [setting, copyRule(test.state)])),
      },
    }
  }
}
