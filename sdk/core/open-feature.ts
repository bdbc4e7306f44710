import { genericReason } from './generic-reason.ts'
import type { GenericReason, Reason, User } from './types.ts'

/**
 * How an answer reads in OpenFeature's terms (the OFREP endpoints and the OpenFeature providers
 * share it, so both say the same thing for the same evaluation). No dependencies, so the
 * browser build can share it.
 */

/** The OpenFeature error codes an answer can carry. */
export type OpenFeatureErrorCode = 'FLAG_NOT_FOUND' | 'TARGETING_KEY_MISSING' | 'PARSE_ERROR' | 'PROVIDER_NOT_READY'

/** The variants of a boolean flag: the code path the user gets. */
export type Variant = 'on' | 'off'

/** A successful resolution: the value, the generic reason and the variant. */
export interface OpenFeatureSuccess {
  value: boolean
  reason: GenericReason
  variant: Variant
}

/** A failed resolution: the caller's default applies. */
export interface OpenFeatureFailure {
  errorCode: OpenFeatureErrorCode
  errorMessage: string
}

export type OpenFeatureResolution = OpenFeatureSuccess | OpenFeatureFailure

/** What `openFeatureResolution` reads: an answer and, when known, its generic reason. */
export interface AnswerToResolve {
  enabled: boolean
  /** Detailed, generic, or `not_ready` (the SDK before any state). */
  reason: Reason | 'not_ready'
  /** The generic reason when the caller knows it (SPLIT needs the cohort's rollout). */
  generic?: GenericReason | undefined
}

export const isFailure = (resolution: OpenFeatureResolution): resolution is OpenFeatureFailure =>
  'errorCode' in resolution

/**
 * The OpenFeature reading of one evaluation. A cohort reached through a partial rollout is
 * SPLIT, a full one (beta list, region) TARGETING_MATCH, off DISABLED, nothing matched DEFAULT.
 * Errors carry a code and leave the caller's default: an unknown (or, for client keys, hidden)
 * flag is FLAG_NOT_FOUND; a malformed flag PARSE_ERROR; a partial cohort's conditions met by a
 * context without a targeting key TARGETING_KEY_MISSING (with one, but without the flag's own
 * stickiness attribute, the user is simply outside: DEFAULT, as `isEnabled` says false).
 *
 * @example
 * openFeatureResolution({ enabled: true, reason: 'cohort:beta', generic: 'TARGETING_MATCH' }, { hasTargetingKey: true })
 * // { value: true, reason: 'TARGETING_MATCH', variant: 'on' }
 * openFeatureResolution({ enabled: false, reason: 'unknown_flag' }, { hasTargetingKey: true })
 * // { errorCode: 'FLAG_NOT_FOUND', errorMessage: 'flag not found' }
 */
export function openFeatureResolution(
  answer: AnswerToResolve,
  options: { hasTargetingKey: boolean },
): OpenFeatureResolution {
  switch (answer.reason) {
    case 'not_ready':
      return { errorCode: 'PROVIDER_NOT_READY', errorMessage: 'no flag state yet' }
    case 'unknown_flag':
      return { errorCode: 'FLAG_NOT_FOUND', errorMessage: 'flag not found' }
    case 'missing_stickiness':
      if (!options.hasTargetingKey)
        return { errorCode: 'TARGETING_KEY_MISSING', errorMessage: 'this flag splits users by targeting key; the context has none' }
      break
  }
  const reason = answer.generic ?? genericReason(answer.reason, { split: false })
  if (reason === 'ERROR') return { errorCode: 'PARSE_ERROR', errorMessage: 'the flag configuration could not be evaluated' }
  return { value: answer.enabled, reason, variant: answer.enabled ? 'on' : 'off' }
}

/** The attribute a context's `targetingKey` becomes: the default stickiness attribute. */
const TARGETING_ATTRIBUTE = 'userId'

/** A user built from an OpenFeature evaluation context. */
export interface ContextUser {
  user: User
  /** The context names who the user is (`targetingKey`, or a `userId` attribute). */
  hasTargetingKey: boolean
}

/**
 * The user an OpenFeature context describes: its fields are attributes, and `targetingKey` is
 * the default stickiness attribute (`userId`), the identity canary rollouts split on. A `Date`
 * becomes its ISO string, as date conditions read.
 *
 * @example
 * userFromContext({ targetingKey: 'u-1', region: 'eu' })
 * // { user: { userId: 'u-1', region: 'eu' }, hasTargetingKey: true }
 */
export function userFromContext(context: Readonly<Record<string, unknown>>): ContextUser {
  const user: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(context)) {
    if (name === 'targetingKey') continue
    user[name] = value instanceof Date ? value.toISOString() : value
  }
  const targetingKey = context.targetingKey
  if (typeof targetingKey === 'string' && targetingKey !== '') user[TARGETING_ATTRIBUTE] = targetingKey
  return { user, hasTargetingKey: user[TARGETING_ATTRIBUTE] !== undefined && user[TARGETING_ATTRIBUTE] !== '' }
}
