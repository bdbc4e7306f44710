import { once } from 'node:events'
import { InMemStorageProvider, Unleash, type Context } from 'unleash-client'
import { BETA_REGION, REGION_ROLLOUT_PERCENT, type FlagSpec } from '../fixture/flags.ts'
import { BETA_IDS, fromWire, type BenchUser } from '../fixture/users.ts'
import { NOWHERE, type LoadSdk } from './sdk.ts'


function toggle(spec: FlagSpec) {
  const base = { name: spec.key, enabled: true, type: 'release', project: 'default', variants: [] }
  if (spec.kind === 'plain') return { ...base, strategies: [{ name: 'default', parameters: {} }] }
  return {
    ...base,
    strategies: [
      { name: 'userWithId', parameters: { userIds: BETA_IDS.join(',') }, constraints: [] },
      {
        name: 'flexibleRollout',
        parameters: {
          rollout: String(REGION_ROLLOUT_PERCENT),
          stickiness: 'userId',
          groupId: spec.key,
        },
        constraints: [
          {
            contextName: 'region',
            operator: 'IN',
            values: [BETA_REGION],
            inverted: false,
            caseInsensitive: false,
          },
        ],
      },
    ],
  }
}

/**
 * unleash-client from a bootstrap with in-memory storage (no backup file). Its one fetch fails
 * against a dead port and is ignored. Usage metrics are off (`disableMetrics`), its fastest
 * configuration, so the comparison cannot flatter canary-flags, which keeps counting.
 */
export const loadUnleash: LoadSdk = async (flags) => {
  const unleash = new Unleash({
    appName: 'canary-flags-bench',
    url: `${NOWHERE}/api/`,
    refreshInterval: 0,
    disableMetrics: true,
    bootstrap: { data: fromWire(flags.map(toggle)) as never },
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
  })
  // Network errors against the dead port are expected; an unhandled 'error' would throw.
  unleash.on('error', () => {})
  unleash.on('warn', () => {})
  await once(unleash, 'ready')
  return {
    sync: true,
    toUser: (user: BenchUser): Context => ({
      userId: user.id,
      properties: { region: user.region },
    }),
    isEnabled: (key, user) => unleash.isEnabled(key, user as Context),
    close: () => unleash.destroy(),
  }
}
