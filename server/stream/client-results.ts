import type { Ruleset } from '../../sdk/core/ruleset.ts'
import type { EvalResult, User } from '../../sdk/core/types.ts'
import { answerFor, type Answer } from '../domain/answer.ts'

/**
 * Client-key (browser) evaluation on the server. A client key is public, so what it receives is
 * the public answer only: `enabled` and a generic reason (OpenFeature's vocabulary), for the
 * flags marked client-side — never rules, segments, cohort names or other users' ids.
 */

/** One flag's answer for a user: the detailed result (kept server-side) and its public form. */
export type ClientResult = Answer

/**
 * The answers for one user over `keys` (default: every client-visible flag); keys that are not
 * client-visible or no longer exist are left out. Costs one evaluation per visible flag.
 */
export function resultsFor(
  ruleset: Ruleset,
  visible: ReadonlySet<string>,
  user: User,
  keys: Iterable<string> = visible,
): Map<string, ClientResult> {
  const results = new Map<string, ClientResult>()
  for (const key of keys) {
    const answer = answerFor(ruleset, visible, key, user)
    if (answer !== undefined) results.set(key, answer)
  }
  return results
}

/**
 * The entries of `next` (for `keys`) whose public answer differs from what was last sent;
 * `null` marks a flag the client may no longer see (hidden or archived). Updates `sent` in
 * place to what the SDK will hold after the diff, and `detailed` to the server's own view (the
 * guard attributes a browser's counts to the arm the server computed).
 */
export function diffResults(
  sent: Map<string, Readonly<EvalResult>>,
  detailed: Map<string, Readonly<EvalResult>>,
  next: Map<string, ClientResult>,
  keys: Iterable<string>,
): Record<string, EvalResult | null> {
  const diff: Record<string, EvalResult | null> = {}
  for (const key of keys) {
    const before = sent.get(key)
    const after = next.get(key)
    if (after === undefined) {
      detailed.delete(key)
      if (before !== undefined) {
        diff[key] = null
        sent.delete(key)
      }
      continue
    }
    detailed.set(key, after.detailed)
    if (before === undefined || before.enabled !== after.public.enabled || before.reason !== after.public.reason) {
      diff[key] = after.public
      sent.set(key, after.public)
    }
  }
  return diff
}
