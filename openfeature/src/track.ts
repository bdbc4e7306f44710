import type { FlagClient, User } from '@canary-flags/sdk'
import type { TrackingEventDetails } from '@openfeature/core'

/** The tracking event that reports a failure of a flag's code path (configurable per provider). */
export const DEFAULT_ERROR_EVENT = 'error'
/** The tracking event that reports how long a flag's code path took, in ms, as its `value`. */
export const DEFAULT_DURATION_EVENT = 'duration'

export interface TrackOptions {
  errorEvent: string
  durationEvent: string
  warn: (message: string) => void
}

/**
 * OpenFeature's `track` feeding the guard, for the arm this user is in:
 * - `track(errorEvent, context, { flag })` → `recordError(flag, user)`;
 * - `track(durationEvent, context, { flag, value: ms })` → `recordDuration(flag, user, ms)`
 *   (the latency rule), `value` being OpenFeature's numeric field of tracking details.
 * The flag key is needed (the guard counts per flag) and comes from the details' `flag` (or
 * `flagKey`); other events are ignored, and a guard event without its flag or value is ignored
 * with a warning.
 *
 * @example
 * client.track('error', { targetingKey: 'u-1' }, { flag: 'checkout-v2' })
 * client.track('duration', { targetingKey: 'u-1' }, { flag: 'checkout-v2', value: 412 })
 */
export function trackForGuard(
  client: FlagClient,
  options: TrackOptions,
  eventName: string,
  user: User | undefined,
  details: TrackingEventDetails | undefined,
): void {
  if (eventName !== options.errorEvent && eventName !== options.durationEvent) return
  const flag = details?.flag ?? details?.flagKey
  if (typeof flag !== 'string' || flag === '') {
    options.warn(`track('${eventName}') needs the flag in its details, e.g. { flag: 'checkout-v2' }; ignored`)
    return
  }
  if (eventName === options.errorEvent) return client.recordError(flag, user)
  const ms = details?.value
  if (typeof ms !== 'number' || !(ms >= 0)) {
    options.warn(`track('${eventName}') needs the duration in ms as its value, e.g. { flag: '${flag}', value: 412 }; ignored`)
    return
  }
  client.recordDuration(flag, user, ms)
}
