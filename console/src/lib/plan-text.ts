import type { Plan, PlanPreview } from '../api/types.ts'
import { formatPercent } from './format.ts'

const list = (steps: readonly number[]) => steps.map(formatPercent).join(', ')

/** A live plan in a few words: `active on cohort region, step 2 of 4 (5%)`. */
export const planWords = (plan: Plan) =>
  `${plan.status} on cohort ${plan.cohort}, step ${plan.step + 1} of ${plan.steps.length} (${formatPercent(plan.steps[plan.step] ?? 0)})`

/**
 * What starting a plan will do, from `POST …/plan/preview`, in sentences a person confirms. The
 * first sentence is the API's (`summary`, api-shapes/plan-words.ts), as the CLI prints it.
 *
 * @example
 * previewWords({ cohort: 'everyone', from: 1, steps: [25], summary: 'stays at 1%; will go to 25% after 10 min if …', … })
 * // { runs: 'cohort everyone stays at 1%; will go to 25% after 10 min if …', confirm: 'Yes, start the plan', … }
 */
export function previewWords(p: PlanPreview) {
  const first = p.steps[0]
  const runs = p.summary === null ? null : `cohort ${p.cohort} ${p.summary}`
  return {
    runs,
    confirm: p.replaces
      ? p.widensNow
        ? `Yes, replace the plan and widen to ${formatPercent(p.startsAt)} now`
        : 'Yes, replace the plan'
      : p.widensNow
        ? `Yes, start: widen to ${formatPercent(p.startsAt)} now`
        : 'Yes, start the plan',
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
