import type { AttributeCondition, User } from '../../sdk/core/types.ts'
import { ALWAYS, NEVER, TooManyAlternatives, all, type Alternatives } from './alternatives.ts'
import {
  worstStatus,
  type FlagReport,
  type ImportedCohort,
  type ImportedFlag,
  type ImportedSegment,
  type ImportPlan,
  type MapStatus,
  type SegmentReport,
} from './import-plan.ts'
import { mapUnleashConstraint, type UnleashConstraint } from './unleash-constraints.ts'
import { fromUnleashExport, isUnleashExport } from './unleash-export.ts'
import { readUnleashFile, type UnleashFeature, type UnleashSegmentSource, type UnleashStrategy } from './unleash-source.ts'
import { mapUnleashStrategy } from './unleash-strategies.ts'
import { uniqueKey } from './segment-keys.ts'

/**
 * The one mapping from Unleash to this project (issue 29): features → flags, strategies →
 * cohorts with the `unleash` bucketing mode, constraints → conditions, segments → segments.
 * Pure: the importer, `canary verify` and the Unleash client-specification conformance test all
 * use it, so they cannot disagree about what an Unleash flag means here.
 *
 * Evaluation order matches `unleash-client`: a flag is on when it is enabled and has no
 * strategies, or when any strategy admits the user (its constraints, its segments' constraints
 * and the strategy itself). Each strategy becomes one cohort per alternative of its constraints
 * (see `alternatives.ts`), all with the strategy's rollout and bucketing, so OR-ing them keeps
 * the strategy's meaning.
 */

/** At most this many cohorts per flag (the admin API's limit). */
const MAX_COHORTS = 100

export interface UnleashImportOptions {
  /** For an admin export with several environments: which one's strategies to take. */
  sourceEnvironment?: string
}

interface SegmentMapping {
  /** The segment as a condition (a segment here), or as alternatives inlined into each strategy. */
  use: { segment: string } | { alternatives: Alternatives }
  approximations: string[]
}

/** Maps one Unleash segment: a segment here when its constraints are plain conditions, else inlined. */
function mapSegment(source: UnleashSegmentSource, key: string): { mapping: SegmentMapping; segment?: ImportedSegment } {
  const mapped = source.constraints.map(mapUnleashConstraint)
  const approximations = mapped.flatMap((m) => m.approximations)
  const alternatives = all(mapped.map((m) => m.alternatives))
  // No constraints: Unleash's segment admits everyone, a segment here with no conditions nobody.
  if (alternatives.length === 1 && alternatives[0]!.length === 0) return { mapping: { use: { alternatives: ALWAYS }, approximations } }
  if (alternatives.length === 1) {
    // Constraints map to attribute conditions only (segments are never nested in Unleash).
    const conditions = alternatives[0]!.filter((c): c is AttributeCondition => !('segment' in c))
    const segment: ImportedSegment = { key, description: source.description || source.name, userIds: [], conditions }
    return { mapping: { use: { segment: key }, approximations }, segment }
  }
  return { mapping: { use: { alternatives }, approximations } }
}

/** A feature's cohorts, or the reason it cannot be mapped. */
function mapStrategies(
  feature: UnleashFeature,
  segments: ReadonlyMap<number, SegmentMapping>,
  notes: string[],
  approximations: string[],
): ImportedCohort[] | string {
  const cohorts: ImportedCohort[] = []
  for (const [index, strategy] of feature.strategies.entries()) {
    if (strategy.disabled) {
      notes.push(`strategy ${index + 1} (${strategy.name}) is disabled in Unleash: not imported`)
      continue
    }
    const own = mapUnleashStrategy(strategy, feature.name)
    if (own === undefined) return `custom strategy ${JSON.stringify(strategy.name)} (strategy ${index + 1})`
    notes.push(...own.notes)
    approximations.push(...own.approximations)
    if (strategy.variants > 0) approximations.push(`strategy ${index + 1} has ${strategy.variants} variants: not imported (flags here are on/off)`)
    const parts = [...constraintParts(strategy, approximations), ...segmentParts(strategy, segments, approximations), own.alternatives]
    const alternatives = all(parts)
    alternatives.forEach((conditions, j) => {
      const suffix = alternatives.length > 1 ? `.${j + 1}` : ''
      const cohort: ImportedCohort = { name: cohortName(index, strategy.name, suffix), conditions, rollout: own.rollout }
      if (own.bucketing !== undefined) cohort.bucketing = own.bucketing
      cohorts.push(cohort)
    })
    if (alternatives.length === 0) notes.push(`strategy ${index + 1} (${strategy.name}) admits nobody: not imported`)
  }
  if (cohorts.length > MAX_COHORTS)
    return `its strategies and constraints need ${cohorts.length} cohorts here, more than ${MAX_COHORTS}`
  return cohorts
}

function constraintParts(strategy: UnleashStrategy, approximations: string[]): Alternatives[] {
  return strategy.constraints.map((c: UnleashConstraint) => {
    const mapped = mapUnleashConstraint(c)
    approximations.push(...mapped.approximations)
    return mapped.alternatives
  })
}

function segmentParts(strategy: UnleashStrategy, segments: ReadonlyMap<number, SegmentMapping>, approximations: string[]): Alternatives[] {
  return strategy.segments.map((id) => {
    const mapping = segments.get(id)
    // Unleash: a strategy naming a segment it does not have never matches.
    if (mapping === undefined) return NEVER
    approximations.push(...mapping.approximations)
    if ('segment' in mapping.use) return [[{ segment: mapping.use.segment }]]
    return mapping.use.alternatives
  })
}

/** `2-flexibleRollout`, `2-flexibleRollout.3`: unique per flag, at most 64 characters. */
function cohortName(index: number, strategy: string, suffix: string): string {
  const head = `${index + 1}-`
  return head + strategy.slice(0, 64 - head.length - suffix.length) + suffix
}

function mapFeature(
  feature: UnleashFeature,
  segments: ReadonlyMap<number, SegmentMapping>,
): { flag?: ImportedFlag; report: FlagReport } {
  const notes: string[] = []
  const approximations: string[] = []
  const cannot = (why: string) => ({ report: { key: feature.name, status: 'cannot_map' as const, notes: [why, ...notes] } })
  if (feature.dependencies.length > 0)
    return cannot(`depends on ${feature.dependencies.join(', ')}: flag dependencies have no equivalent here`)
  if (feature.variants.count > 0)
    approximations.push(
      `${feature.variants.count} variants${feature.variants.payloads ? ' with payloads' : ''} not imported: isEnabled maps, getVariant has no equivalent here`,
    )
  let cohorts: ImportedCohort[] | string
  try {
    cohorts = feature.strategies.length === 0 ? [{ name: 'everyone', conditions: [], rollout: 100 }] : mapStrategies(feature, segments, notes, approximations)
  } catch (error) {
    if (!(error instanceof TooManyAlternatives)) throw error
    cohorts = error.message
  }
  if (typeof cohorts === 'string') return cannot(cohorts)
  const status: MapStatus = worstStatus(approximations.length > 0 ? ['approximate'] : ['exact'])
  const flag: ImportedFlag = { key: feature.name, description: feature.description, enabled: feature.enabled, cohorts }
  return { flag, report: { key: feature.name, status, notes: [...new Set([...approximations, ...notes])] } }
}

/**
 * Maps an Unleash client features document (or admin export) to an import plan.
 * Throws `ImportFileError` naming the place when the file is not one.
 *
 * @example
 * const plan = mapUnleash({ version: 2, features: [{ name: 'Feature.A', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '25', stickiness: 'default', groupId: 'Feature.A' } }] }] })
 * plan.flags[0].cohorts[0] // { name: '1-flexibleRollout', conditions: [], rollout: 25, bucketing: { mode: 'unleash', groupId: 'Feature.A', stickiness: 'default' } }
 */
export function mapUnleash(input: unknown, options: UnleashImportOptions = {}): ImportPlan {
  const file = readUnleashFile(isUnleashExport(input) ? fromUnleashExport(input, options.sourceEnvironment) : input)
  const used = new Set(file.features.filter((f) => f.dependencies.length === 0).flatMap((f) => f.strategies.flatMap((s) => s.segments)))
  const taken = new Set<string>()
  const segments = new Map<number, SegmentMapping>()
  const created: ImportedSegment[] = []
  const segmentReport: SegmentReport[] = []
  for (const source of file.segments) {
    if (!used.has(source.id)) {
      segmentReport.push({ source: `${source.id} (${source.name})`, key: undefined, notes: ['no imported flag uses it: not imported'] })
      continue
    }
    const { mapping, segment } = mapSegment(source, uniqueKey(source.name, source.id, taken))
    segments.set(source.id, mapping)
    if (segment !== undefined) created.push(segment)
    const how =
      segment !== undefined
        ? []
        : ['its constraints are inlined into the strategies that use it (no constraints, or ones a segment here cannot say)']
    segmentReport.push({ source: `${source.id} (${source.name})`, key: segment?.key, notes: [...how, ...mapping.approximations] })
  }
  const flags: ImportedFlag[] = []
  const report: FlagReport[] = []
  for (const feature of file.features) {
    const mapped = mapFeature(feature, segments)
    report.push(mapped.report)
    if (mapped.flag !== undefined) flags.push(mapped.flag)
  }
  const usedKeys = new Set(flags.flatMap((f) => f.cohorts.flatMap((c) => c.conditions.flatMap((x) => ('segment' in x ? [x.segment] : [])))))
  return { source: 'unleash', flags, segments: created.filter((s) => usedKeys.has(s.key)), report, segmentReport }
}

/** Unleash context fields that are not `properties`. */
const CONTEXT_FIELDS = ['userId', 'sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime'] as const

/**
 * An Unleash context as a user here: its fields and its `properties` side by side (a field wins
 * over a property of the same name, as in `unleash-client`), `currentTime` as ISO-8601.
 *
 * @example
 * unleashContextToUser({ userId: 'u1', properties: { plan: 'pro' } }) // { plan: 'pro', userId: 'u1' }
 */
export function unleashContextToUser(context: Readonly<Record<string, unknown>>): User {
  const user: Record<string, unknown> = {}
  const properties = context.properties
  if (typeof properties === 'object' && properties !== null)
    for (const [k, v] of Object.entries(properties)) if (v !== undefined && v !== null) user[k] = v
  for (const field of CONTEXT_FIELDS) {
    const value = context[field]
    if (value === undefined || value === null) continue
    user[field] = value instanceof Date ? value.toISOString() : value
  }
  return user
}
