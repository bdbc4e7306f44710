import { GrowthBookClient, type FeatureDefinition } from '@growthbook/growthbook'
import { BETA_REGION, REGION_ROLLOUT_PERCENT, type FlagSpec } from '../fixture/flags.ts'
import { BETA_IDS, fromWire, type BenchUser } from '../fixture/users.ts'
import type { LoadSdk } from './sdk.ts'

interface GbUserContext {
  attributes: { id: string; region: string }
}

function feature(spec: FlagSpec): FeatureDefinition {
  if (spec.kind === 'plain') return { defaultValue: true }
  return {
    defaultValue: false,
    rules: [
      { condition: { id: { $in: [...BETA_IDS] } }, force: true },
      {
        condition: { region: BETA_REGION },
        force: true,
        coverage: REGION_ROLLOUT_PERCENT / 100,
        hashAttribute: 'id',
      },
    ],
  }
}

/**
 * GrowthBook's multi-user client (the one meant for servers), initialised synchronously from a
 * payload: no API host involved. Beta list = a forced rule on `id $in`; the region rollout = a
 * forced rule with 10% coverage hashed on `id`.
 */
export const loadGrowthBook: LoadSdk = async (flags) => {
  const features = Object.fromEntries(flags.map((spec) => [spec.key, feature(spec)]))
  const client = new GrowthBookClient().initSync({ payload: { features: fromWire(features) } })
  return {
    sync: true,
    toUser: (user: BenchUser): GbUserContext => ({
      attributes: { id: user.id, region: user.region },
    }),
    isEnabled: (key, user) => client.isOn(key, user as GbUserContext),
    close: () => client.destroy(),
  }
}
