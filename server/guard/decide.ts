import {
  AbsoluteRateTest,
  addCounts,
  BelowLimitTest,
  emptyCounts,
  RateRatioTest,
  type ArmCounts,
  type RuleReading,
  type RuleState,
} from './sequential.ts'

/** Guard settings of one flag in one environment (validated by the API). */
export interface GuardSettings {
  /** Highest acceptable canary error rate, 0–1. */
  maxErrorRate: number
  /** Optional floor: canary exposures since the start before any trip (0: none). */
  minExposures?: number | undefined
  /** The span of the recent figures shown in the console and API; not part of the test. */
  windowSeconds?: number | undefined
  /** Trip when the canary's rate is more than this many times control's. */
  maxRatioToControl?: number | undefined
  /** `server`: only server-key (back-end) evidence counts; `all` (default): browsers' too. */
  evidence?: 'server' | 'all' | undefined
  /** POSTed a JSON event on a trip and when a plan holds. */
  webhookUrl?: string | undefined
}

export type GuardRule = 'max_error_rate' | 'max_ratio_to_control'

/** Everything the guard looked at: in the API, the console feed, a trip's audit entry and webhook. */
export interface GuardFigures extends ArmCounts {
  /** When the tests started (flag turned on or guard changed), epoch ms. */
  since: number
  /** Seconds with counts fed to the tests. */
  seconds: number
  canaryRate: number
  controlRate: number | null
  maxErrorRate: RuleReading
  maxRatioToControl: RuleReading | null
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

/** The stored form of a flag's evidence, so a restart resumes the tests instead of restarting them. */
export interface EvidenceSnapshot {
  settingsKey: string
  since: number
  seconds: number
  totals: ArmCounts
  maxErrorRate: RuleState
  maxRatioToControl: RuleState | null
  plan: { id: string; step: number; since: number; totals: ArmCounts; test: RuleState } | null
}

/** The settings that define the test: a change to any of them starts it afresh. */
export function settingsKey(s: GuardSettings): string {
  return JSON.stringify([s.maxErrorRate, s.maxRatioToControl ?? null, s.minExposures ?? 0, s.evidence ?? 'all'])
}

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
  private readonly totals: ArmCounts
  private readonly absolute: AbsoluteRateTest
  private readonly ratio: RateRatioTest | null
  private plan: { id: string; step: number; since: number; totals: ArmCounts; test: BelowLimitTest } | null
  /** Counts that arrived since the last `tick`. */
  private pending: ArmCounts = emptyCounts()
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
    this.totals = r ? { ...r.totals } : emptyCounts()
    this.absolute = new AbsoluteRateTest(settings.maxErrorRate, r && copyRule(r.maxErrorRate))
    this.ratio =
      settings.maxRatioToControl === undefined
        ? null
        : new RateRatioTest(settings.maxRatioToControl, r?.maxRatioToControl ? copyRule(r.maxRatioToControl) : undefined)
    this.plan = r?.plan
      ? { ...r.plan, totals: { ...r.plan.totals }, test: new BelowLimitTest(settings.maxErrorRate, copyRule(r.plan.test)) }
      : null
  }

  /** Counts that arrived now; they reach the tests at the next `tick`. */
  add(counts: ArmCounts): void {
    addCounts(this.pending, counts)
    this.hasPending = true
  }

  /** Feeds the counts of the second that just ended to every test. Returns whether there were any. */
  tick(): boolean {
    if (!this.hasPending) return false
    const c = this.pending
    this.pending = emptyCounts()
    this.hasPending = false
    this.seconds++
    addCounts(this.totals, c)
    this.absolute.observe(c.canaryExposures, c.canaryErrors)
    this.ratio?.observe(c)
    if (this.plan) {
      addCounts(this.plan.totals, c)
      this.plan.test.observe(c.canaryExposures, c.canaryErrors)
    }
    return true
  }

  figures(): GuardFigures {
    const t = this.totals
    const absolute = this.absolute.reading()
    const ratio = this.ratio?.reading() ?? null
    return {
      since: this.since,
      seconds: this.seconds,
      ...t,
      canaryRate: rate(t.canaryErrors, t.canaryExposures),
      controlRate: t.controlExposures > 0 ? t.controlErrors / t.controlExposures : null,
      maxErrorRate: absolute,
      maxRatioToControl: ratio,
      progress: Math.max(absolute.progress, ratio?.progress ?? 0),
    }
  }

  /** The cheap check run every second: whether `decision()` would say trip. */
  wouldTrip(): boolean {
    if (this.seconds === 0 || this.totals.canaryExposures < (this.settings.minExposures ?? 0)) return false
    return this.absolute.reading().crossed !== null || (this.ratio?.reading().crossed ?? null) !== null
  }

  /** Trip when a rule's test crossed its threshold and the optional exposure floor is met. */
  decision(): GuardDecision {
    const figures = this.figures()
    if (figures.canaryExposures < (this.settings.minExposures ?? 0) || figures.seconds === 0)
      return { status: 'insufficient_data', figures }
    if (figures.maxErrorRate.crossed)
      return { status: 'trip', rule: 'max_error_rate', test: figures.maxErrorRate.crossed, limit: this.settings.maxErrorRate, figures }
    if (figures.maxRatioToControl?.crossed)
      return {
        status: 'trip',
        rule: 'max_ratio_to_control',
        test: figures.maxRatioToControl.crossed,
        limit: this.settings.maxRatioToControl!,
        figures,
      }
    return { status: 'healthy', figures }
  }

  /**
   * Starts the plan test of a step afresh unless it already runs for it. `stepId` names the step
   * of one plan (its start time and index): a replaced plan's step 0 is not the old plan's.
   */
  startPlanStep(stepId: string, step: number, at: number): void {
    if (this.plan?.id === stepId) return
    this.plan = { id: stepId, step, since: at, totals: emptyCounts(), test: new BelowLimitTest(this.settings.maxErrorRate) }
  }

  stopPlan(): void {
    this.plan = null
  }

  planFigures(): PlanFigures | null {
    if (!this.plan) return null
    const reading = this.plan.test.reading()
    const t = this.plan.totals
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
    return {
      settingsKey: this.settingsKey,
      since: this.since,
      seconds: this.seconds,
      totals: { ...this.totals },
      maxErrorRate: copyRule(this.absolute.state),
      maxRatioToControl: this.ratio ? copyRule(this.ratio.state) : null,
      plan: this.plan && { id: this.plan.id, step: this.plan.step, since: this.plan.since, totals: { ...this.plan.totals }, test: copyRule(this.plan.test.state) },
    }
  }
}
