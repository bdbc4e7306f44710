/**
 * The fields of `patch` whose value differs from `current`, compared as JSON (so arrays and
 * objects compare by content, tags and cohorts in order); undefined fields are not changes.
 * The one rule for "nothing to change" on definitions and states alike.
 *
 * @example
 * changedFields({ description: 'a', tags: ['x'] }, { description: 'a', tags: ['y'] }) // { tags: ['y'] }
 */
export function changedFields<T extends object>(current: T, patch: Partial<T>): Partial<T> {
  return Object.fromEntries(
    Object.entries(patch).filter(
      ([field, value]) => value !== undefined && JSON.stringify(value) !== JSON.stringify(current[field as keyof T]),
    ),
  ) as Partial<T>
}
