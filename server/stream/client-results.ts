import type { Ruleset } from '../../sdk/core/ruleset.ts'
import type { EvalResult, User } from '../../sdk/core/types.ts'

/**
 * Client-key (browser) evaluation on the server: the results for one user, and the difference
 * against what was last sent. Only `{enabled, reason}` per flag leaves the server — never rules,
 * segments or other users' ids.
 */
export function resultsFor(ruleset: Ruleset, user: User, keys: Iterable<string> = ruleset.compiled.keys()) {
  const results = new Map<string, EvalResult>()
  for (const key of keys) {
    const compiled = ruleset.compiled.get(key)
    if (compiled) results.set(key, compiled.evaluate(user))
  }
  return results
}

/**
 * The entries of `next` (for `keys`) that differ from `previous`; `null` marks a flag that no
 * longer exists. Updates `previous` in place to what the SDK will hold after the diff.
 */
export function diffResults(
  previous: Map<string, EvalResult>,
  next: Map<string, EvalResult>,
  keys: Iterable<string>,
): Record<string, EvalResult | null> {
  const diff: Record<string, EvalResult | null> = {}
  for (const key of keys) {
    const before = previous.get(key)
    const after = next.get(key)
    if (after === undefined) {
      if (before !== undefined) {
        diff[key] = null
        previous.delete(key)
      }
    } else if (before === undefined || before.enabled !== after.enabled || before.reason !== after.reason) {
      diff[key] = { enabled: after.enabled, reason: after.reason }
      previous.set(key, after)
    }
  }
  return diff
}
