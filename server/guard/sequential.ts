/**
 * The guard's always-valid sequential tests, pure: no I/O, no clock. The caller feeds one
 * observation per second (the counts that arrived in that second) and reads the statistics.
 *
 * Why sequential: the guard looks at its evidence every second for the flag's whole life. A
 * fixed 95% test re-applied that often is wrong far more than 5% of the time (it trips almost
 * every canary that sits near its limit). A likelihood-ratio martingale is not: by Ville's
 * inequality, the chance that it ever crosses 1/α while the truth is at or under the limit is
 * at most α, however often it is looked at.
 *
 * Each rule keeps, per alternative k:
 *  - `cumulative[k]`, the log-likelihood ratio since the start. The mixture
 *    `ln(mean_k exp(cumulative[k]))` is the test: trip at `ln(1/α)`.
 *  - `change[k] = max(0, change[k] + llr)`, a CUSUM change detector for regressions that start
 *    late, when `cumulative` has drifted far below zero on healthy traffic: trip at
 *    `ln(K·86400/0.01)`, at most one false alarm per 100 days of healthy traffic.
 */

/** Alternatives are the limit times these factors (kept below 1 for rates). */
export const ALTERNATIVE_FACTORS = [1.25, 1.5, 2, 3, 5, 10] as const
/** Chance of a false trip over a flag's whole life at or under its limit. */
export const ALPHA = 0.05
/** Threshold of the mixture since the start: ln(1/α). */
export const MIXTURE_THRESHOLD = Math.log(1 / ALPHA)
/** Threshold of the change detectors: one false alarm per 100 days over all K of them. */
export const CHANGE_THRESHOLD = Math.log((ALTERNATIVE_FACTORS.length * 86_400) / 0.01)

/**
 * One promise per flag: a flag whose guard runs `rules` rules splits α and the change
 * detectors' false-alarm budget evenly between them (a union bound), so the flag as a whole is
 * falsely tripped at most α over its life, and its change detectors raise at most one false
 * alarm per 100 days together. Each rule's thresholds rise by ln(rules).
 */
export interface Thresholds {
  mixture: number
  change: number
}
export const thresholdsFor = (rules: number): Thresholds => {
  const share = Math.log(Math.max(1, rules))
  return { mixture: MIXTURE_THRESHOLD + share, change: CHANGE_THRESHOLD + share }
}
const ONE_RULE = thresholdsFor(1)

/** One second's counts (or several seconds' summed, or down-weighted client evidence). */
export interface ArmCounts {
  canaryExposures: number
  canaryErrors: number
  controlExposures: number
  controlErrors: number
}

export const emptyCounts = (): ArmCounts => ({ canaryExposures: 0, canaryErrors: 0, controlExposures: 0, controlErrors: 0 })

export function addCounts(into: ArmCounts, add: ArmCounts): void {
  into.canaryExposures += add.canaryExposures
  into.canaryErrors += add.canaryErrors
  into.controlExposures += add.controlExposures
  into.controlErrors += add.controlErrors
}

/** State of one rule's tests: plain arrays so it can be stored as JSON and resumed. */
export interface RuleState {
  cumulative: number[]
  change: number[]
  /**
   * Per alternative, the change detector's current rise (null or `seconds` 0: at 0), kept by
   * rise.ts for the words of a trip; the tests never read it. Absent in states saved before it existed.
   */
  rises?: Array<Rise | null>
}

/** Counts since a change detector's rise began, in the rule's own metric: trials (`over`) and events per arm. */
export interface Rise {
  /** When the first second of the rise was fed to the tests, epoch ms; null: before rises were recorded (state saved by an older version). */
  since: number | null
  /** Seconds with counts since then. */
  seconds: number
  canaryTrials: number
  canaryEvents: number
  controlTrials: number
  controlEvents: number
}

/** What a rule's state says now, for people and for the audit log. */
export interface RuleReading {
  /** ln(mean_k exp(cumulative_k)): the test since the start. */
  statistic: number
  threshold: number
  /** max_k change_k: the change detector. */
  changeStatistic: number
  changeThreshold: number
  /** max(statistic/threshold, changeStatistic/changeThreshold) clamped to [0, 1]: how close to a trip. */
  progress: number
  crossed: 'mixture' | 'change' | null
}

const newRule = (k: number): RuleState => ({ cumulative: new Array(k).fill(0), change: new Array(k).fill(0) })

/** ln(mean exp(values)), without overflow. */
export function logMeanExp(values: readonly number[]): number {
  let max = -Infinity
  for (const v of values) if (v > max) max = v
  if (max === -Infinity) return -Infinity
  let sum = 0
  for (const v of values) sum += Math.exp(v - max)
  return max + Math.log(sum / values.length)
}

function addLlr(rule: RuleState, k: number, llr: number): void {
  rule.cumulative[k]! += llr
  rule.change[k] = Math.max(0, rule.change[k]! + llr)
}

/** Whether `read(rule, withChange).crossed` is non-null, without exp/log in the common case. */
function crossed(rule: RuleState, withChange: boolean, at: Thresholds): boolean {
  let maxC = -Infinity
  let maxS = 0
  for (let k = 0; k < rule.cumulative.length; k++) {
    if (rule.cumulative[k]! > maxC) maxC = rule.cumulative[k]!
    if (rule.change[k]! > maxS) maxS = rule.change[k]!
  }
  if (withChange && maxS >= at.change) return true
  // ln(mean exp) ≤ max: below the threshold at the max, the mixture is below it too.
  if (maxC < at.mixture) return false
  return logMeanExp(rule.cumulative) >= at.mixture
}

function read(rule: RuleState, withChange: boolean, at: Thresholds = ONE_RULE): RuleReading {
  const statistic = logMeanExp(rule.cumulative)
  const changeStatistic = withChange ? Math.max(0, ...rule.change) : 0
  const crossed = statistic >= at.mixture ? 'mixture' : withChange && changeStatistic >= at.change ? 'change' : null
  const progress = Math.min(1, Math.max(0, statistic / at.mixture, withChange ? changeStatistic / at.change : 0))
  return {
    statistic: finite(statistic),
    threshold: at.mixture,
    changeStatistic: finite(changeStatistic),
    changeThreshold: at.change,
    progress,
    crossed,
  }
}

/** Readings leave as JSON (API, audit, webhook), where ±Infinity would turn into null. */
const finite = (x: number) => (Number.isFinite(x) ? x : x > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE)

/**
 * A sequential test of a rate against `limit` with alternatives `q_k`. For a second with n
 * exposures and x errors, `llr_k = x·ln(q_k/L) + (n − x)·ln((1 − q_k)/(1 − L))`.
 */
class BinomialTest {
  readonly state: RuleState
  private readonly errorWeight: number[]
  private readonly successWeight: number[]

  constructor(limit: number, alternatives: number[], state: RuleState | undefined) {
    this.errorWeight = alternatives.map((q) => Math.log(q / limit))
    this.successWeight = alternatives.map((q) => Math.log((1 - q) / (1 - limit)))
    this.state = state && state.cumulative.length === alternatives.length ? state : newRule(alternatives.length)
  }

  observe(exposures: number, errors: number): void {
    // A second with more errors than exposures holds late errors (a browser's, credited against
    // exposures it reported earlier): each one turns an earlier success into a failure, and the
    // same formula with n − x < 0 adds exactly that, ln(q_k/L) − ln((1 − q_k)/(1 − L)).
    if (exposures <= 0 && errors <= 0) return
    for (let k = 0; k < this.errorWeight.length; k++)
      addLlr(this.state, k, errors * this.errorWeight[k]! + (exposures - errors) * this.successWeight[k]!)
  }
}

/**
 * Alternatives `c·limit` kept below 1. Near 1 some factors overshoot (all of them from a limit
 * of 0.8): one more alternative halfway between the highest that fits and 1 keeps a canary that
 * fails (almost) every request provable over the limit. At most K alternatives, so the
 * thresholds stay valid. None for a limit of 0 or 1.
 */
function above(limit: number): number[] {
  if (!(limit > 0 && limit < 1)) return []
  const fitting = ALTERNATIVE_FACTORS.map((c) => c * limit).filter((q) => q < 1)
  return fitting.length === ALTERNATIVE_FACTORS.length ? fitting : [...fitting, (1 + Math.max(limit, ...fitting)) / 2]
}

/**
 * Absolute rule: is the canary's error rate above `limit`? Alternatives `c·limit` (see above).
 * A limit of 0 means "no errors at all": any canary error is proof, so it trips on the first;
 * its state keeps one number, the canary errors seen (finite, so it survives JSON).
 */
export class AbsoluteRateTest {
  readonly state: RuleState
  /** Null for a limit of 0, which needs no likelihood ratios. */
  private readonly test: BinomialTest | null

  constructor(
    readonly limit: number,
    state?: RuleState,
    /** The rule's share of the flag's budget (see `thresholdsFor`). */
    private readonly at: Thresholds = ONE_RULE,
  ) {
    this.test = limit > 0 ? new BinomialTest(limit, above(limit), state) : null
    this.state = this.test ? this.test.state : state?.cumulative.length === 1 ? state : newRule(1)
  }

  observe(exposures: number, errors: number): void {
    if (this.test) this.test.observe(exposures, errors)
    else if (errors > 0) this.state.cumulative[0]! += errors
  }

  crossed(): boolean {
    return this.test ? crossed(this.state, true, this.at) : this.state.cumulative[0]! > 0
  }

  reading(): RuleReading {
    if (this.test) return read(this.state, true, this.at)
    const base = read(newRule(1), false)
    return this.state.cumulative[0]! > 0 ? { ...base, statistic: Number.MAX_VALUE, progress: 1, crossed: 'mixture' } : base
  }
}

/**
 * Ratio rule: is the canary's error rate more than `maxRatio` times control's? Given that an
 * error happened, it came from the canary with probability `π(r) = r·s / (r·s + 1 − s)`, where
 * `s` is the canary's share of the second's exposures and `r` the true rate ratio. So each
 * second's errors are a binomial draw that depends on `r` only, and the same sequential
 * machinery applies with alternatives `c·maxRatio`. Seconds without errors in either arm carry
 * no information; two canary errors against zero control errors are weak evidence, not proof.
 */
export class RateRatioTest {
  readonly state: RuleState
  private readonly ratios: number[]

  constructor(
    readonly maxRatio: number,
    state?: RuleState,
    /** The rule's share of the flag's budget (see `thresholdsFor`). */
    private readonly at: Thresholds = ONE_RULE,
  ) {
    this.ratios = ALTERNATIVE_FACTORS.map((c) => c * maxRatio)
    this.state = state && state.cumulative.length === this.ratios.length ? state : newRule(this.ratios.length)
  }

  observe(counts: ArmCounts): void {
    const { canaryExposures: n, controlExposures: m, canaryErrors: x, controlErrors: y } = counts
    if (n <= 0 || m <= 0 || x + y <= 0) return
    const s = n / (n + m)
    // π(r)/π(R) = (r/R)·(R·s + 1 − s)/(r·s + 1 − s) and (1 − π(r))/(1 − π(R)) = (R·s + 1 − s)/(r·s + 1 − s):
    // llr_k = x·ln(c_k) + (x + y)·ln((R·s + 1 − s)/(r_k·s + 1 − s)), one log per alternative.
    const atNull = this.maxRatio * s + 1 - s
    for (let k = 0; k < this.ratios.length; k++)
      addLlr(this.state, k, x * Math.log(ALTERNATIVE_FACTORS[k]!) + (x + y) * Math.log(atNull / (this.ratios[k]! * s + 1 - s)))
  }

  crossed(): boolean {
    return crossed(this.state, true, this.at)
  }

  reading(): RuleReading {
    return read(this.state, true, this.at)
  }
}

/**
 * The plan's test: is the canary's error rate **below** `limit`? Alternatives `limit / c`; it
 * shows the rate is under the limit with at most α chance of being wrong when it is not. No
 * change detector: a plan asks once per step whether it may widen, from the step's start.
 */
export class BelowLimitTest {
  private readonly test: BinomialTest

  constructor(
    readonly limit: number,
    state?: RuleState,
  ) {
    const usable = limit > 0 && limit < 1
    this.test = new BinomialTest(limit, usable ? ALTERNATIVE_FACTORS.map((c) => limit / c) : [], state)
  }

  get state(): RuleState {
    return this.test.state
  }

  observe(exposures: number, errors: number): void {
    this.test.observe(exposures, errors)
  }

  /** A limit of 1 (100% errors allowed) is always met; a limit of 0 can never be shown met. */
  reading(): RuleReading {
    if (this.limit >= 1) return { ...read(newRule(1), false), statistic: Number.MAX_VALUE, progress: 1, crossed: 'mixture' }
    if (this.limit <= 0) return read(newRule(1), false)
    return read(this.test.state, false)
  }
}
