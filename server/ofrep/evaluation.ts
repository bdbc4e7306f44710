import { isFailure, openFeatureResolution } from '../../sdk/core/open-feature.ts'
import { genericReason } from '../../sdk/core/generic-reason.ts'
import type { Ruleset } from '../../sdk/core/ruleset.ts'
import type { User } from '../../sdk/core/types.ts'
import { DEFAULT_STICKINESS } from '../../sdk/core/evaluate.ts'

/** One flag's entry in an OFREP answer: a success or an evaluation failure (spec 0.3.0). */
export type OfrepEvaluation =
  | { key: string; value: boolean; reason: string; variant: string; metadata?: Record<string, string> }
  | { key: string; errorCode: string; errorDetails: string }

/** Who asks: server keys see every flag with detail; client keys see client-visible flags only. */
export type Audience = 'server' | 'client'

/**
 * The user an OFREP context describes: its fields are attributes, and `targetingKey` is the
 * default stickiness attribute (`userId`), the identity canary rollouts split on. A `Date` (which
 * JSON cannot carry, but an in-process caller can) becomes its ISO string, as date conditions read.
 *
 * @example
 * userFromContext({ targetingKey: 'u-1', region: 'eu' }) // { userId: 'u-1', region: 'eu' }
 */
export function userFromContext(context: Record<string, unknown>): { user: User; hasTargetingKey: boolean } {
  const { targetingKey, ...attributes } = context
  const user: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(attributes)) user[name] = value instanceof Date ? value.toISOString() : value
  const hasKey = typeof targetingKey === 'string' && targetingKey !== ''
  if (hasKey) user[DEFAULT_STICKINESS] = targetingKey
  return { user, hasTargetingKey: hasKey || user[DEFAULT_STICKINESS] !== undefined }
}

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
  const compiled = ruleset.compiled.get(key)
  if (compiled === undefined || (audience === 'client' && !visible?.has(key))) return undefined
  const result = compiled.evaluate(context.user)
  const resolution = openFeatureResolution(
    { enabled: result.enabled, reason: result.reason, generic: genericReason(compiled.generic(result).reason, { split: false }) },
    { hasTargetingKey: context.hasTargetingKey },
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
