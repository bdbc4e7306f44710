/**
 * The one wording of a rollout percentage out of range, for the CLI's `--percent`, the API's
 * cohort validation (which the console shows next to the field) and the console's own check
 * while a person types: `150 is not a percentage between 0 and 100`.
 *
 * @example
 * notAPercentage('150') // '150 is not a percentage between 0 and 100'
 */
export const notAPercentage = (raw: string | number): string => `${raw} is not a percentage between 0 and 100`

/**
 * What is wrong with a typed rollout, or undefined when it is a number from 0 to 100 (the finer
 * rule, at most three decimals, is the server's). Empty text is not a percentage either.
 *
 * @example
 * percentProblem('150') // '150 is not a percentage between 0 and 100'
 * percentProblem('12.5') // undefined
 */
export function percentProblem(text: string): string | undefined {
  const value = Number(text.trim())
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) return notAPercentage(text.trim())
  return undefined
}
