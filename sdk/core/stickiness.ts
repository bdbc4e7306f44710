import type { User } from './types.ts'

/**
 * The stickiness value as hashed: non-empty strings as-is, finite numbers stringified
 * (`42` → `'42'`, so numeric and string ids bucket alike). `undefined`, `null`, `''`, booleans,
 * objects and non-finite numbers count as missing: an empty string is a common placeholder for
 * "anonymous", and hashing it would put every anonymous user in the same single bucket, turning
 * a percentage into all-or-nothing for them. The project's own bucketing and Unleash's (whose
 * clients also skip an empty stickiness value) read values through this one function.
 *
 * @example
 * stickinessValue({ userId: 42 }, 'userId') // '42'
 * stickinessValue({ userId: '' }, 'userId') // undefined
 */
export function stickinessValue(user: User, attribute: string): string | undefined {
  const value = user[attribute]
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}
