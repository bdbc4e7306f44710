import { isFailure, openFeatureResolution } from '../../sdk/core/open-feature.ts'
export { userFromContext } from '../../sdk/core/open-feature.ts'
import { genericReason } from '../../sdk/core/generic-reason.ts'
import type { Ruleset } from '../../sdk/core/ruleset.ts'
import type { User } from '../../sdk/core/types.ts'
import { answerFor, type Answer } from '../domain/answer.ts'

/** A client key with no visible flags sees none. */
const NONE: ReadonlySet<string> = new Set()

/** One flag's entry in an OFREP answer: a success or an evaluation failure (spec 0.3.0). */
export type OfrepEvaluation =
  | { key: string; value: boolean; reason: string; variant: string; metadata?: Record<string, string> }
  | { key: string; errorCode: string; errorDetails: string }

/** Who asks: server keys see every flag with detail; client keys see client-visible flags only. */
export type Audience = 'server' | 'client'

/**
 * Evaluates one flag for an OFREP caller, from the server's compiled rules. `undefined` means
 * "no such flag" for this audience: unknown, or hidden from client keys (which must not be able
 * to tell the two apart). Server keys also get the detailed reason in `metadata.canaryReason`.
 */
export function evaluateForOfrep(
  ruleset: Ruleset,
  visible: ReadonlySet<string> | undefined,
  key: string,
  context: { user: User; hasTargetingKey: boolean },
  audience: Audience,
): OfrepEvaluation | undefined {
  const answer = answerFor(ruleset, audience === 'client' ? (visible ?? NONE) : 'every flag', key, context.user)
  return answer && ofrepEntry(key, answer, context.hasTargetingKey, audience)
}

/**
 * A flag's OFREP entry from its answer: a function of the key, `answer.detailed` (enabled,
 * reason), `answer.public.reason`, `hasTargetingKey` and the audience, nothing else (the bulk
 * answer keeps each entry's encoding by those, bulk-answer.ts).
 */
export function ofrepEntry(key: string, answer: Answer, hasTargetingKey: boolean, audience: Audience): OfrepEvaluation {
  const result = answer.detailed
  const resolution = openFeatureResolution(
    { enabled: result.enabled, reason: result.reason, generic: genericReason(answer.public.reason, { split: false }) },
    { hasTargetingKey },
  )
  if (isFailure(resolution)) return { key, errorCode: resolution.errorCode, errorDetails: resolution.errorMessage }
  return {
    key,
    value: resolution.value,
    reason: resolution.reason,
    variant: resolution.variant,
    ...(audience === 'server' ? { metadata: { canaryReason: result.reason } } : {}),
  }
}

/** Every flag the audience may see, in key order (so equal answers hash to equal ETags). */
export function evaluateAllForOfrep(
  ruleset: Ruleset,
  visible: ReadonlySet<string>,
  context: { user: User; hasTargetingKey: boolean },
  audience: Audience,
): OfrepEvaluation[] {
  const keys = audience === 'client' ? [...visible] : [...ruleset.compiled.keys()]
  const out: OfrepEvaluation[] = []
  for (const key of keys.sort()) {
    const entry = evaluateForOfrep(ruleset, visible, key, context, audience)
    if (entry !== undefined) out.push(entry)
  }
  return out
}
