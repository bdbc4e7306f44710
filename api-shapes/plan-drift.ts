/**
 * Whether a plan still describes its cohort. A plan's step names the rollout it applied; a
 * person can narrow or widen the cohort by hand afterwards, or rename or remove it, and a plan
 * card or list that kept saying `step 2 of 2 (100%) … completed` would then state something
 * untrue. Every surface that shows a plan's step (the console's plan card and flags list, the
 * CLI's `flags list` and `flags show`) says this instead when it applies.
 */

const pct = (p: number) => `${p}%`

/**
 * `cohort eu is at 50% now, not the plan's 100% (changed by hand since)`,
 * `cohort eu no longer exists`, or undefined while the cohort holds the plan's step.
 *
 * @example
 * planDrift({ cohort: 'eu', step: 1, steps: [25, 100] }, [{ name: 'eu', rollout: 50 }])
 * // "cohort eu is at 50% now, not the plan's 100% (changed since the plan set it)"
 */
export function planDrift(
  plan: { cohort: string; step: number; steps: readonly number[] },
  cohorts: ReadonlyArray<{ name: string; rollout: number }>,
): string | undefined {
  const cohort = cohorts.find((c) => c.name === plan.cohort)
  if (!cohort) return `cohort ${plan.cohort} no longer exists`
  const applied = plan.steps[plan.step]
  if (applied === undefined || cohort.rollout === applied) return undefined
  return `cohort ${plan.cohort} is at ${pct(cohort.rollout)} now, not the plan's ${pct(applied)} (changed since the plan set it)`
}
