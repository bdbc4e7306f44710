import type { Plan, PlanPreview } from '../api/types.ts'
import { formatDuration, formatPercent } from './format.ts'

const list = (steps: readonly number[]) => steps.map(formatPercent).join(', ')

/** A live plan in a few words: `active on cohort region, step 2 of 4 (5%)`. */
export const planWords = (plan: Plan) =>
  `${plan.status} on cohort ${plan.cohort}, step ${plan.step + 1} of ${plan.steps.length} (${formatPercent(plan.steps[plan.step] ?? 0)})`

/**
 * What starting a plan will do, from `POST …/plan/preview`, in sentences a person confirms.
 *
 * @example
 * previewWords({ cohort: 'everyone', from: 50, steps: [100], skipped: [1, 5, 25, 50], replaces: null }, 600)
 * // { runs: 'widen cohort everyone from 50% to 100% now', skipped: 'skip 1%, 5%, 25%, 50%: …', … }
 */
export function previewWords(p: PlanPreview, intervalSeconds: number) {
  const [first, ...rest] = p.steps
  const runs =
    first === undefined
      ? null
      : `widen cohort ${p.cohort} from ${formatPercent(p.from)} to ${formatPercent(first)} now` +
        (rest.length
          ? `, then to ${list(rest)}, one step every ${formatDuration(intervalSeconds)} at the earliest, each only once the evidence shows the error rate is below the limit`
          : '; that is the last step')
  return {
    runs,
    skipped: p.skipped.length
      ? `skip ${list(p.skipped)}: at or below the cohort's current ${formatPercent(p.from)} (a plan never narrows a cohort)`
      : null,
    replaces: p.replaces ? `replace the plan ${planWords(p.replaces)}` : null,
    nothing:
      first === undefined
        ? `Every step is at or below cohort ${p.cohort}'s current ${formatPercent(p.from)}: there is nothing to widen.`
        : null,
  }
}
