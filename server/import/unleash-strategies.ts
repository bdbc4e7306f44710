import type { AttributeCondition, CohortBucketing } from '../../sdk/core/types.ts'
import { ALWAYS, NEVER, only, type Alternatives } from './alternatives.ts'
import { ipv4RangePattern } from './ipv4-pattern.ts'
import type { UnleashStrategy } from './unleash-source.ts'

/**
 * The built-in Unleash strategies, each as `unleash-client` 6 evaluates it: who it admits
 * (alternatives of conditions) and which share of them (rollout and `unleash` bucketing).
 * A strategy name not in this table is a custom strategy: it cannot be mapped.
 */

export interface MappedStrategy {
  alternatives: Alternatives
  rollout: number
  bucketing: CohortBucketing | undefined
  approximations: string[]
  notes: string[]
}

type StrategyMapper = (strategy: UnleashStrategy, featureName: string) => MappedStrategy

const everyone = (alternatives: Alternatives, extra: Partial<MappedStrategy> = {}): MappedStrategy => ({
  alternatives,
  rollout: 100,
  bucketing: undefined,
  approximations: [],
  notes: [],
  ...extra,
})

/** Unleash lists in parameters: comma separated, whitespace around commas ignored. */
const list = (text: string | undefined) => (text === undefined || text === '' ? [] : text.split(/\s*,\s*/))

/**
 * A percentage with Unleash's rule `percentage > 0 && (murmur3(groupId:value) % 100) + 1 <= percentage`:
 * the hash is an integer, so a fractional percentage counts as its floor.
 */
function percentageRollout(
  percentage: string | undefined,
  groupId: string,
  stickiness: string,
  notes: string[] = [],
  approximations: string[] = [],
): MappedStrategy {
  const p = Math.floor(Number(percentage))
  if (!(p >= 1)) return { ...everyone(NEVER), notes: [`rollout ${percentage ?? '(none)'}% includes nobody`] }
  // `default` stickiness falls back to a random value when the user has neither userId nor
  // sessionId, and `random` always uses one: at 100% that still includes everyone.
  const anyValue = stickiness === 'default' || stickiness === 'random'
  if (p >= 100 && anyValue) return everyone(ALWAYS)
  if (/[^\x00-\x7f]/.test(groupId))
    approximations = [
      ...approximations,
      `group id ${JSON.stringify(groupId)} is not ASCII: unleash-client for Node hashes the low byte of each UTF-16 unit, the other Unleash SDKs and this project UTF-8, so users may differ from Node SDKs`,
    ]
  return {
    alternatives: ALWAYS,
    rollout: Math.min(p, 100),
    bucketing: { mode: 'unleash', groupId, stickiness: stickiness === 'random' ? 'userId' : stickiness },
    approximations,
    notes,
  }
}

const ANONYMOUS_NOTE =
  'users with neither userId nor sessionId get a random answer per call in Unleash; here they are outside the rollout'

function flexibleRollout(s: UnleashStrategy, featureName: string): MappedStrategy {
  const stickiness = s.parameters.stickiness || 'default'
  const groupId = s.parameters.groupId || featureName
  if (stickiness === 'random')
    return percentageRollout(s.parameters.rollout, groupId, 'random', [], [
      'random stickiness: Unleash draws per call; here the draw is fixed per userId (same share of users, stable)',
    ])
  const notes = stickiness === 'default' && Number(s.parameters.rollout) < 100 ? [ANONYMOUS_NOTE] : []
  return percentageRollout(s.parameters.rollout, groupId, stickiness, notes)
}

function userWithId(s: UnleashStrategy): MappedStrategy {
  const ids = list(s.parameters.userIds)
  if (ids.length === 0) return everyone(NEVER)
  return everyone(only({ attribute: 'userId', operator: 'in', values: [...new Set(ids)] }))
}

function remoteAddress(s: UnleashStrategy): MappedStrategy {
  const ranges = list(s.parameters.IPs)
  if (ranges.length === 0) return everyone(NEVER)
  // Unleash: the address equals an entry as text, or lies in it as an IPv4 range.
  const conditions: AttributeCondition[] = [{ attribute: 'remoteAddress', operator: 'in', values: [...new Set(ranges)] }]
  const patterns = ranges.filter((r) => r.includes('/')).flatMap((r) => ipv4RangePattern(r) ?? [])
  if (patterns.length > 0) conditions.push({ attribute: 'remoteAddress', operator: 'matches', values: patterns })
  return everyone(conditions.flatMap((c) => only(c)))
}

function applicationHostname(s: UnleashStrategy): MappedStrategy {
  const hosts = list(s.parameters.hostNames?.toLowerCase())
  if (hosts.length === 0) return everyone(NEVER)
  return everyone(only({ attribute: 'hostname', operator: 'in', values: [...new Set(hosts)], caseInsensitive: true }), {
    approximations: [
      'applicationHostname: Unleash compares the host the SDK runs on; here the user attribute hostname, which the app must pass',
    ],
  })
}

const STRATEGIES: ReadonlyMap<string, StrategyMapper> = new Map<string, StrategyMapper>([
  ['default', () => everyone(ALWAYS)],
  ['userWithId', userWithId],
  ['flexibleRollout', flexibleRollout],
  // The gradual rollouts' group id defaults to '' (not the flag name, unlike flexibleRollout).
  ['gradualRolloutUserId', (s) => percentageRollout(s.parameters.percentage, s.parameters.groupId || '', 'userId')],
  ['gradualRolloutSessionId', (s) => percentageRollout(s.parameters.percentage, s.parameters.groupId || '', 'sessionId')],
  [
    'gradualRolloutRandom',
    (s, featureName) =>
      percentageRollout(s.parameters.percentage, featureName, 'random', [], [
        'gradualRolloutRandom: Unleash draws per call; here the draw is fixed per userId (same share of users, stable)',
      ]),
  ],
  ['remoteAddress', remoteAddress],
  ['applicationHostname', applicationHostname],
])

/** The strategy's mapping, or undefined for a custom strategy. */
export function mapUnleashStrategy(strategy: UnleashStrategy, featureName: string): MappedStrategy | undefined {
  return STRATEGIES.get(strategy.name)?.(strategy, featureName)
}

export const BUILT_IN_STRATEGIES: readonly string[] = [...STRATEGIES.keys()]
