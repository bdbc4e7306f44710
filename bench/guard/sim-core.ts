/**
 * One simulated canary, second by second, driving the project's own `FlagEvidence`
 * (server/guard/decide.ts) exactly as the guard service does: the second's counts are `add`ed,
 * then `tick` feeds them to the tests, then `wouldTrip` is the per-second check.
 *
 * Traffic per second: canary exposures ~ Poisson(rate), errors ~ Binomial(exposures, p);
 * control exposures ~ Poisson(9 × rate) with its own error rate (drawn as two independent
 * Poisson counts, see random.ts). The inner loop allocates nothing of its own.
 */
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
}

/** The four Poisson tables of a phase: canary errors and successes, control errors and successes. */
interface PhaseTables {
  until: number
  canaryErrors: PoissonTable
  canaryOk: PoissonTable
  controlErrors: PoissonTable
  controlOk: PoissonTable
}

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
    }
  })
}

/** Runs canaries [from, to) of a scenario; returns their trip seconds (0: never) and rules. */
export function runCanaries(scenario: Scenario, from: number, to: number, tables = tablesFor(scenario)): { tripAt: Int32Array; rule: Int8Array } {
  const tripAt = new Int32Array(to - from)
  const rule = new Int8Array(to - from)
  const counts = { canaryExposures: 0, canaryErrors: 0, controlExposures: 0, controlErrors: 0 }
  for (let i = from; i < to; i++) {
    const rng = new Rng(seedFor(scenario.stream, i))
    const evidence = new FlagEvidence(scenario.settings, 0)
    let phase = 0
    let t = tables[0]!
    for (let second = 1; second <= scenario.horizon; second++) {
      if (second > t.until) t = tables[++phase]!
      const canaryErrors = t.canaryErrors.sample(rng)
      const controlErrors = t.controlErrors.sample(rng)
      counts.canaryErrors = canaryErrors
      counts.canaryExposures = canaryErrors + t.canaryOk.sample(rng)
      counts.controlErrors = controlErrors
      counts.controlExposures = controlErrors + t.controlOk.sample(rng)
      evidence.add(fromFlatCounts(counts))
      evidence.tick()
      if (evidence.wouldTrip()) {
        tripAt[i - from] = second
        const decision = evidence.decision()
        rule[i - from] = decision.status !== 'trip' ? 0 : decision.rule === 'max_error_rate' ? 1 : 2
        break
      }
    }
  }
  return { tripAt, rule }
}
