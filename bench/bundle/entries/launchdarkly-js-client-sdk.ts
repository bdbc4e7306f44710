// Bundle-size entry: construct the client and ask one flag, as an app would.
import { initialize } from 'launchdarkly-js-client-sdk'

export const flags = initialize('bench-client-side-id', { kind: 'user', key: 'u1' })
export const on = flags.variation('checkout-v2', false) as boolean
