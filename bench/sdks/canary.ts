import { createClient } from '../../sdk/index.ts'
import type { FlagState } from '../../sdk/core/index.ts'
import { BETA_REGION, REGION_ROLLOUT_PERCENT, type FlagSpec } from '../fixture/flags.ts'
import { BETA_IDS, fromWire, type BenchUser } from '../fixture/users.ts'
import { NOWHERE, type LoadSdk } from './sdk.ts'

function flagState(spec: FlagSpec): FlagState {
  const base = { key: spec.key, enabled: true, salt: spec.key, stickiness: 'userId', version: 1 }
  if (spec.kind === 'plain') {
    return { ...base, cohorts: [{ name: 'everyone', conditions: [], rollout: 100 }] }
  }
  return {
    ...base,
    cohorts: [
      {
        name: 'beta',
        conditions: [{ attribute: 'userId', operator: 'in', values: [...BETA_IDS] }],
        rollout: 100,
      },
      {
        name: 'eu-canary',
        conditions: [{ attribute: 'region', operator: 'in', values: [BETA_REGION] }],
        rollout: REGION_ROLLOUT_PERCENT,
      },
    ],
  }
}

/**
 * The real client in local-evaluation mode (server key), bootstrapped and pointed at a port
 * nobody listens on. Its connection attempts run on the event loop, which the synchronous
 * timing loop never yields to, so they cannot land inside a measurement. Exposure counting
 * for the guard is always on in `isEnabled`.
 */
export const loadCanary: LoadSdk = async (flags) => {
  const snapshot = fromWire({
    environment: 'bench',
    version: 1,
    flags: flags.map(flagState),
    segments: [],
  })
  const client = createClient({ url: NOWHERE, key: 'cf_server_bench', bootstrap: snapshot })
  await client.ready({ timeoutMs: 5000 })
  return {
    sync: true,
    toUser: (user: BenchUser) => ({ userId: user.id, region: user.region }),
    isEnabled: (key, user) => client.isEnabled(key, user as { userId: string }),
    close: () => client.close({ timeoutMs: 0 }),
  }
}
