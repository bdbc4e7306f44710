/**
 * One simulated canary, second by second, driving the project's own `FlagEvidence`
 * (server/guard/decide.ts) exactly as the guard service does: the second's counts are `add`ed,
 * then `tick` feeds them to the tests, then `wouldTrip` is the per-second check.
 *
 * Traffic per second: canary exposures ~ Poisson(rate), errors ~ Binomial(exposures, p);
 * control exposures ~ Poisson(9 × rate) with its own error rate (drawn as two independent
 * Poisson counts, see random.ts). With slow shares (latency rows) every exposure reports a
 * duration, and each arm's errors and successes are split again into slow and fast: four
 * independent Poisson counts per arm (thinning), so errors and slowness are independent and
 * `slow ~ Binomial(exposures, slow share)`. The inner loop allocates nothing of its own.
 */
import { GUARD_RULE_NAMES } from '../../api-shapes/guard-rules.ts'
import { fromFlatCounts } from '../../sdk/core/metrics.ts'
import { FlagEvidence, type GuardSettings } from '../../server/guard/decide.ts'
import { PoissonTable, Rng, seedFor } from './random.ts'

/** Control gets this many times the canary's exposures (a 10% canary). */
export const CONTROL_MULTIPLE = 9

export interface Phase {
  /** Seconds this phase lasts (the last phase lasts until the scenario's horizon). */
  seconds: number
  canaryErrorRate: number
  controlErrorRate: number
  /** Share of requests slower than the latency bound (latency rows only; default 0, no durations). */
  canarySlowRate?: number
  controlSlowRate?: number
}

export interface Scenario {
  /** Stable id; with the canary's index it makes the canary's seed. */
  id: string
  /** Seed stream of the row (distinct per row). */
  stream: number
  settings: GuardSettings
  /** Canary exposures per second (mean). */
  exposuresPerSecond: number
  /** Healthy traffic first (optional), then the phase under study. */
  phases: Phase[]
  /** Total simulated seconds per canary (a canary stops at its first trip). */
  horizon: number
  canaries: number
  /** The server restarts (`kill -9`) every `everySeconds` (restart rows only). */
  restarts?: Restarts
}

/**
 * A `kill -9` and restart every `everySeconds`: with `kept`, the evidence resumes from what was
 * saved `lostSeconds` before the kill (the process saves once a second, so the counts of those
 * last seconds are lost, and nothing else), through the stored JSON as the server does; without,
 * the tests start afresh, as the embedded default did before evidence was stored.
 */
export interface Restarts {
  everySeconds: number
  kept: boolean
  lostSeconds: number
}

/** The four Poisson tables of a phase: canary errors and successes, control errors and successes. */
interface PhaseTables {
  until: number
  canaryErrors: PoissonTable
  canaryOk: PoissonTable
  controlErrors: PoissonTable
  controlOk: PoissonTable
  /** Latency rows: each arm's (error|ok) × (slow|fast) counts. */
  slow: { canary: ArmSplit; control: ArmSplit } | null
}

/** One arm's requests split four ways: errors slow and fast, successes slow and fast. */
interface ArmSplit {
  errorSlow: PoissonTable
  errorFast: PoissonTable
  okSlow: PoissonTable
  okFast: PoissonTable
}

const split = (n: number, errorRate: number, slowRate: number): ArmSplit => ({
  errorSlow: new PoissonTable(n * errorRate * slowRate),
  errorFast: new PoissonTable(n * errorRate * (1 - slowRate)),
  okSlow: new PoissonTable(n * (1 - errorRate) * slowRate),
  okFast: new PoissonTable(n * (1 - errorRate) * (1 - slowRate)),
})

/** The means of every Poisson table a phase uses (the run checks each table against its mean). */
export function phaseMeans(scenario: Scenario, phase: Phase): number[] {
  const n = scenario.exposuresPerSecond
  const m = CONTROL_MULTIPLE * n
  const arm = (k: number, e: number, s: number | undefined) =>
    s === undefined ? [k * e, k * (1 - e)] : [k * e * s, k * e * (1 - s), k * (1 - e) * s, k * (1 - e) * (1 - s)]
  return [...arm(n, phase.canaryErrorRate, phase.canarySlowRate), ...arm(m, phase.controlErrorRate, phase.controlSlowRate)]
}

/** Whether a scenario has latency (its phases give slow shares). */
const timed = (scenario: Scenario) => scenario.phases.some((p) => p.canarySlowRate !== undefined)

export function tablesFor(scenario: Scenario): PhaseTables[] {
  let until = 0
  return scenario.phases.map((phase, i) => {
    until = i === scenario.phases.length - 1 ? scenario.horizon : until + phase.seconds
    const n = scenario.exposuresPerSecond
    const m = n * CONTROL_MULTIPLE
    return {
      until,
      canaryErrors: new PoissonTable(n * phase.canaryErrorRate),
      canaryOk: new PoissonTable(n * (1 - phase.canaryErrorRate)),
      controlErrors: new PoissonTable(m * phase.controlErrorRate),
      controlOk: new PoissonTable(m * (1 - phase.controlErrorRate)),
      slow: timed(scenario)
        ? {
            canary: split(n, phase.canaryErrorRate, phase.canarySlowRate ?? 0),
            control: split(m, phase.controlErrorRate, phase.controlSlowRate ?? 0),
          }
        : null,
    }
  })
}

/** One arm's second of a latency row: exposures, errors, and (every request timed) slow ones. */
function drawSplit(t: ArmSplit, rng: Rng, out: { exposures: number; errors: number; slow: number }): void {
  const es = t.errorSlow.sample(rng)
  const ef = t.errorFast.sample(rng)
  const os = t.okSlow.sample(rng)
  const of = t.okFast.sample(rng)
  out.exposures = es + ef + os + of
  out.errors = es + ef
  out.slow = es + os
}

/** The rule that tripped, as its place in the rule table plus one (0: no trip). */
export const ruleCode = (rule: string | undefined) => (rule === undefined ? 0 : GUARD_RULE_NAMES.indexOf(rule as never) + 1)

/** Runs canaries [from, to) of a scenario; returns their trip seconds (0: never) and rules. */
export function runCanaries(scenario: Scenario, from: number, to: number, tables = tablesFor(scenario)): { tripAt: Int32Array; rule: Int8Array } {
  const tripAt = new Int32Array(to - from)
  const rule = new Int8Array(to - from)
  const counts = { canaryExposures: 0, canaryErrors: 0, controlExposures: 0, controlErrors: 0, canaryTimed: 0, canarySlow: 0, controlTimed: 0, controlSlow: 0 }
  const arm = { exposures: 0, errors: 0, slow: 0 }
  for (let i = from; i < to; i++) {
    const rng = new Rng(seedFor(scenario.stream, i))
    let evidence = new FlagEvidence(scenario.settings, 0)
    let phase = 0
    let t = tables[0]!
    const restarts = scenario.restarts
    let saved: string | null = null
    for (let second = 1; second <= scenario.horizon; second++) {
      if (second > t.until) t = tables[++phase]!
      if (restarts) {
        const intoCycle = second % restarts.everySeconds
        // The last save before the kill; the seconds after it are lost with the process.
        if (restarts.kept && intoCycle === restarts.everySeconds - restarts.lostSeconds) saved = JSON.stringify(evidence.snapshot())
        if (intoCycle === 0) {
          evidence = new FlagEvidence(scenario.settings, second * 1000, restarts.kept && saved !== null ? JSON.parse(saved) : undefined)
          saved = null
        }
      }
      if (t.slow) {
        drawSplit(t.slow.canary, rng, arm)
        counts.canaryExposures = counts.canaryTimed = arm.exposures
        counts.canaryErrors = arm.errors
        counts.canarySlow = arm.slow
        drawSplit(t.slow.control, rng, arm)
        counts.controlExposures = counts.controlTimed = arm.exposures
        counts.controlErrors = arm.errors
        counts.controlSlow = arm.slow
      } else {
        // The error rows draw as they always did, so their figures stay comparable run to run.
        const canaryErrors = t.canaryErrors.sample(rng)
        const controlErrors = t.controlErrors.sample(rng)
        counts.canaryErrors = canaryErrors
        counts.canaryExposures = canaryErrors + t.canaryOk.sample(rng)
        counts.controlErrors = controlErrors
        counts.controlExposures = controlErrors + t.controlOk.sample(rng)
      }
      // Counts of the seconds between the last save and the kill die with the process.
      if (saved !== null) continue
      evidence.add(fromFlatCounts(counts))
      evidence.tick(second * 1000)
      if (evidence.wouldTrip()) {
        tripAt[i - from] = second
        const decision = evidence.decision()
        rule[i - from] = ruleCode(decision.status === 'trip' ? decision.rule : undefined)
        break
      }
    }
  }
  return { tripAt, rule }
}
