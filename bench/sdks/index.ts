import type { LoadSdk } from './sdk.ts'

export type { SdkUnderTest } from './sdk.ts'

/**
 * The SDKs compared, ours first; `label` is the npm package measured. Loaded lazily so a child
 * process holds only the SDK it measures (it matters for the memory figures).
 */
export const SDKS = {
  canary: {
    label: 'canary-flags',
    load: async (flags) => (await import('./canary.ts')).loadCanary(flags),
  },
  unleash: {
    label: 'unleash-client',
    load: async (flags) => (await import('./unleash.ts')).loadUnleash(flags),
  },
  launchdarkly: {
    label: '@launchdarkly/node-server-sdk',
    load: async (flags) => (await import('./launchdarkly.ts')).loadLaunchDarkly(flags),
  },
  growthbook: {
    label: '@growthbook/growthbook',
    load: async (flags) => (await import('./growthbook.ts')).loadGrowthBook(flags),
  },
} satisfies Record<string, { label: string; load: LoadSdk }>

export type SdkId = keyof typeof SDKS

export const SDK_IDS = Object.keys(SDKS) as SdkId[]

export function isSdkId(value: string): value is SdkId {
  return Object.hasOwn(SDKS, value)
}
