import type { GuardSettings } from '../../api-shapes/guard.ts'
import { GUARD_RULE_KINDS, GUARD_RULE_NAMES, type GuardRuleName, type GuardRuleSetting } from '../../api-shapes/guard-rules.ts'
import { addPacked, COUNTERS, counterIndex, flatToPacked, packedToFlat, type Evidence } from '../../sdk/core/metrics.ts'
import { limitOf, runningRules, type RunningRule } from './rules.ts'
import { BelowLimitTest, type ArmCounts, type RuleReading, type RuleState } from './sequential.ts'

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
    /** How close to a trip, 0–1 (1 = tripped): the larger of the rules' progress. */
    progress: number
  }

export type GuardDecision =
  | { status: 'insufficient_data'; figures: GuardFigures }
  | { status: 'healthy'; figures: GuardFigures }
  | { status: 'trip'; rule: GuardRule; test: 'mixture' | 'change'; limit: number; figures: GuardFigures }

/** A plan step's evidence that the canary's rate is below the limit. */
export interface PlanFigures extends ArmCounts {
  /** The step the test belongs to, and when it began. */
  step: number
  since: number
  canaryRate: number
  statistic: number
  threshold: number
  /** True once the test shows the rate is below the limit. */
  proven: boolean
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
  plan: { id: string; step: number; since: number; totals: ArmCounts; test: RuleState } | null
} & Partial<Record<GuardRuleSetting, RuleState | null>>

/** The settings that define the test: a change to any of them starts it afresh. */
export function settingsKey(s: GuardSettings): string {
  const limits = GUARD_RULE_NAMES.map((rule) => limitOf(s, GUARD_RULE_KINDS[rule]) ?? null)
  return JSON.stringify([...limits, s.minExposures ?? 0, s.evidence ?? 'all'])
}

const CANARY_EXPOSURES = counterIndex('canary', 'exposures')
const CANARY_ERRORS = counterIndex('canary', 'errors')

const rate = (errors: number, exposures: number) => (exposures > 0 ? errors / exposures : 0)

/** A rule's state by value: a snapshot must not change as the tests go on, nor be shared by two flags' evidence. */
const copyRule = (state: RuleState): RuleState => ({ cumulative: [...state.cumulative], change: [...state.change] })

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
  private plan: { id: string; step: number; since: number; totals: Float64Array; test: BelowLimitTest } | null
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
      ? { ...r.plan, totals: flatToPacked(r.plan.totals), test: new BelowLimitTest(settings.maxErrorRate, copyRule(r.plan.test)) }
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

  /** Feeds the counts of the second that just ended to every test. Returns whether there were any. */
  tick(): boolean {
    if (!this.hasPending) return false
    const c = this.pending
    this.hasPending = false
    this.seconds++
    for (let i = 0; i < c.length; i++) this.totals[i]! += c[i]!
    for (let r = 0; r < this.rules.length; r++) {
      const { test, inputs } = this.rules[r]!
      test.observe(c[inputs[0]]!, c[inputs[1]]!, c[inputs[2]]!, c[inputs[3]]!)
    }
    if (this.plan) {
      for (let i = 0; i < c.length; i++) this.plan.totals[i]! += c[i]!
      this.plan.test.observe(c[CANARY_EXPOSURES]!, c[CANARY_ERRORS]!)
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
      controlRate: t.controlExposures > 0 ? t.controlErrors / t.controlExposures : null,
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
    for (const { rule, kind, limit } of this.rules) {
      const crossed = (figures[kind.setting as GuardRuleSetting] as RuleReading | null)?.crossed
      if (crossed) return { status: 'trip', rule, test: crossed, limit, figures }
    }
    return { status: 'healthy', figures }
  }

  /**
   * Starts the plan test of a step afresh unless it already runs for it. `stepId` names the step
   * of one plan (its start time and index): a replaced plan's step 0 is not the old plan's.
   */
  startPlanStep(stepId: string, step: number, at: number): void {
    if (this.plan?.id === stepId) return
    this.plan = { id: stepId, step, since: at, totals: new Float64Array(COUNTERS.length), test: new BelowLimitTest(this.settings.maxErrorRate) }
  }

  stopPlan(): void {
    this.plan = null
  }

  planFigures(): PlanFigures | null {
    if (!this.plan) return null
    const reading = this.plan.test.reading()
    const t = packedToFlat(this.plan.totals)
    return {
      step: this.plan.step,
      since: this.plan.since,
      ...t,
      canaryRate: rate(t.canaryErrors, t.canaryExposures),
      statistic: reading.statistic,
      threshold: reading.threshold,
      proven: reading.crossed !== null && t.canaryExposures >= (this.settings.minExposures ?? 0),
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
        test: copyRule(this.plan.test.state),
      },
    }
  }
}
