import type { FlagClient, User } from '@canary-flags/sdk'
import type { TrackingEventDetails } from '@openfeature/core'

/** The tracking event that reports a failure of a flag's code path (configurable per provider). */
export const DEFAULT_ERROR_EVENT = 'error'

/**
 * `track(errorEvent, context, { flag })` → `recordError(flag, user)`: the guard's error count for
 * the arm this user is in. The flag key is needed (the guard counts per flag) and comes from the
 * details' `flag` (or `flagKey`); other events, and errors without a flag, are ignored.
 *
 * @example
 * client.track('error', { targetingKey: 'u-1' }, { flag: 'checkout-v2' })
 */
export function trackError(
  client: FlagClient,
  options: { errorEvent: string; warn: (message: string) => void },
  eventName: string,
  user: User | undefined,
  details: TrackingEventDetails | undefined,
): void {
  if (eventName !== options.errorEvent) return
  const flag = details?.flag ?? details?.flagKey
  if (typeof flag !== 'string' || flag === '') {
    options.warn(`track('${eventName}') needs the flag in its details, e.g. { flag: 'checkout-v2' }; ignored`)
    return
  }
  client.recordError(flag, user)
}
