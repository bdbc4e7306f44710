import type { Ruleset } from '../../sdk/core/ruleset.ts'
import type { EvalResult, User } from '../../sdk/core/types.ts'

/**
 * One flag's answer for a user: the detailed result (admin and server keys see it; the guard
 * attributes counts with it) and its public form, `enabled` and a generic reason (OpenFeature's
 * vocabulary), which is all a client (public) key ever receives.
 */
export interface Answer {
  detailed: Readonly<EvalResult>
  public: Readonly<EvalResult>
}

/**
 * The one rule for what a key may be answered about a flag: `visible` is the set of flags the
 * key may see (a client key: the client-visible flags), or `'every flag'` (admin and server
 * keys). Undefined when the flag is unknown or hidden from the key: a hidden flag must answer
 * exactly like a missing one, so a client key cannot tell the two apart.
 *
 * @example
 * const answer = answerFor(ruleset, rules.clientVisible(env), 'checkout-v2', { userId: 'u1' })
 * answer?.public // { enabled: true, reason: 'TARGETING_MATCH' }
 */
export function answerFor(
  ruleset: Ruleset,
  visible: ReadonlySet<string> | 'every flag',
  key: string,
  user: User,
): Answer | undefined {
  if (visible !== 'every flag' && !visible.has(key)) return undefined
  const compiled = ruleset.compiled.get(key)
  if (compiled === undefined) return undefined
  const detailed = compiled.evaluate(user)
  return { detailed, public: compiled.generic(detailed) }
}
