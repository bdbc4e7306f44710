import type { FieldIssue } from '../api/types.ts'

/** API problems keyed by field path (`cohorts.1.rollout`); '' holds those about no one field. */
export type FieldErrors = ReadonlyMap<string, string>

export const NO_ERRORS: FieldErrors = new Map()

/**
 * Groups issues by field. `rename` maps a field the API named onto the field the form shows
 * (e.g. the rollout endpoint's `rollout` onto `cohorts.2.rollout`); issues about fields the
 * form does not show land under '' (the form's summary), so no message is ever lost.
 *
 * @example
 * fieldErrors([{ field: 'cohorts.0.rollout', message: 'Too big' }], ['cohorts.0.rollout'])
 * // Map { 'cohorts.0.rollout' => 'Too big' }
 */
export function fieldErrors(
  issues: FieldIssue[],
  shown: Iterable<string>,
  rename: (field: string) => string = (f) => f,
): FieldErrors {
  const known = new Set(shown)
  const result = new Map<string, string>()
  for (const issue of issues) {
    let field = rename(issue.field)
    // A problem inside a shown field's value (`…values.3`) belongs to that field.
    while (field && !known.has(field))
      field = field.includes('.') ? field.slice(0, field.lastIndexOf('.')) : ''
    const message = field === '' && issue.field ? `${issue.field}: ${issue.message}` : issue.message
    result.set(field, result.has(field) ? `${result.get(field)}; ${message}` : message)
  }
  return result
}
