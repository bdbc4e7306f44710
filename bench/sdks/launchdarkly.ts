import { basicLogger, init, integrations } from '@launchdarkly/node-server-sdk'
import { BETA_REGION, REGION_ROLLOUT_PERCENT, type FlagSpec } from '../fixture/flags.ts'
import { BETA_IDS, fromWire, type BenchUser } from '../fixture/users.ts'
import type { LoadSdk } from './sdk.ts'

interface LdContext {
  kind: 'user'
  key: string
  region: string
}

const ON = 0
const OFF = 1
/** LaunchDarkly rollout weights are in thousandths of a percent. */
const WEIGHT_PER_PERCENT = 1000

/**
 * The full flag data model: TestData's builder has no percentage rollouts, so the flag goes in
 * through `usePreconfiguredFlag`. The beta list is individual targeting, LaunchDarkly's own
 * mechanism for a list of users.
 */
function flagModel(spec: FlagSpec) {
  const base = {
    key: spec.key,
    version: 1,
    on: true,
    variations: [true, false],
    offVariation: OFF,
    salt: spec.key,
    prerequisites: [],
    trackEvents: false,
    trackEventsFallthrough: false,
  }
  if (spec.kind === 'plain') {
    return { ...base, targets: [], rules: [], fallthrough: { variation: ON } }
  }
  const inside = REGION_ROLLOUT_PERCENT * WEIGHT_PER_PERCENT
  return {
    ...base,
    targets: [{ values: [...BETA_IDS], variation: ON }],
    rules: [
      {
        id: 'eu-canary',
        clauses: [{ attribute: 'region', op: 'in', values: [BETA_REGION], negate: false }],
        rollout: {
          variations: [
            { variation: ON, weight: inside },
            { variation: OFF, weight: 100 * WEIGHT_PER_PERCENT - inside },
          ],
        },
      },
    ],
    fallthrough: { variation: OFF },
  }
}

/**
 * The Node server SDK fed by its TestData source: no LaunchDarkly service involved. Analytics
 * events are off (`sendEvents: false`), its fastest configuration: with them on, each
 * evaluation is also summarised and costs about twice as much here. Peers are measured at
 * their fastest so that the comparison cannot flatter canary-flags, which keeps counting.
 */
export const loadLaunchDarkly: LoadSdk = async (flags) => {
  const td = new integrations.TestData()
  for (const model of fromWire(flags.map(flagModel))) await td.usePreconfiguredFlag(model)
  const client = init('sdk-bench-key', {
    updateProcessor: td.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: basicLogger({ level: 'none' }),
  })
  await client.waitForInitialization({ timeout: 10 })
  return {
    sync: false,
    toUser: (user: BenchUser): LdContext => ({ kind: 'user', key: user.id, region: user.region }),
    isEnabled: async (key, user) =>
      (await client.variation(key, user as LdContext, false)) === true,
    close: () => client.close(),
  }
}
