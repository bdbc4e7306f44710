import type { FlagClient, User } from '@canary-flags/sdk'
import { isFailure, openFeatureResolution } from '@canary-flags/sdk/openfeature'
import { ErrorCode, StandardResolutionReasons, type ResolutionDetails } from '@openfeature/core'

/**
 * What both providers return: the SDK's answer (`FlagClient.resolve`, which counts an exposure
 * like `isEnabled`) read in OpenFeature's terms by the same function the OFREP endpoints use.
 */
export function resolveBoolean(
  client: FlagClient,
  flag: string,
  defaultValue: boolean,
  context: { user: User; hasTargetingKey: boolean } | undefined,
): ResolutionDetails<boolean> {
  const answer = client.resolve(flag, context?.user, defaultValue)
  const resolution = openFeatureResolution(answer, { hasTargetingKey: context?.hasTargetingKey ?? true })
  if (isFailure(resolution))
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode[resolution.errorCode],
      errorMessage: resolution.errorMessage,
    }
  return { value: resolution.value, reason: resolution.reason, variant: resolution.variant }
}

/** canary-flags flags are boolean: any other type asked for is TYPE_MISMATCH (and no exposure). */
export function typeMismatch<T>(flag: string, defaultValue: T, type: string): ResolutionDetails<T> {
  return {
    value: defaultValue,
    reason: StandardResolutionReasons.ERROR,
    errorCode: ErrorCode.TYPE_MISMATCH,
    errorMessage: `flag ${flag} is boolean; a ${type} was asked for`,
  }
}
