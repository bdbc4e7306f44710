import { durationText } from './guard-words.ts'

/*
 * What starting a plan does, in the words the API's preview, the CLI and the console all show
 * (pure, nothing of the server: the console bundle imports it).
 */

const pct = (n: number) => `${n}%`

/**
 * The start of a plan in one sentence: a cohort above 0% stays where it is until the interval
 * has passed and the canary shows it is under its limit; a cohort at 0% has no canary to
 * measure, so it goes to the first step at once. Null when there is nothing to widen.
 *
 * @example
 * planStartText({ cohort: 'all', from: 1, steps: [25, 100] }, 600)
 * // 'stays at 1%; will go to 25% after 10 min if the canary shows it is under its limit, then to 100% (each step waits as long and for the same evidence)'
 */
export function planStartText(p: { cohort: string; from: number; steps: readonly number[] }, intervalSeconds: number): string | null {
  const [first, ...rest] = p.steps
  if (first === undefined) return null
  const wait = durationText(intervalSeconds)
  const after = (steps: readonly number[]) => steps.map(pct).join(', ')
  if (p.from === 0)
    return (
      `goes to ${pct(first)} at once (at 0% there is no canary to measure)` +
      (rest.length ? `; will go to ${pct(rest[0]!)} after ${wait} if the canary shows it is under its limit` + (rest.length > 1 ? `, then to ${after(rest.slice(1))} (each step waits as long and for the same evidence)` : '') : '; that is the last step')
    )
  return (
    `stays at ${pct(p.from)}; will go to ${pct(first)} after ${wait} if the canary shows it is under its limit` +
    (rest.length ? `, then to ${after(rest)} (each step waits as long and for the same evidence)` : '')
  )
}
