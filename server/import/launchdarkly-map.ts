import type { AttributeCondition, Cohort, Condition } from '../../sdk/core/types.ts'
import { ALWAYS, NEVER, TooManyAlternatives, all, both, complement, either, only, type Alternatives } from './alternatives.ts'
import type { FlagReport, ImportedFlag, ImportedSegment, ImportPlan, SegmentReport } from './import-plan.ts'
import { attributeHere, mapLaunchDarklyClause, type LaunchDarklyClause } from './launchdarkly-clauses.ts'
import { readLaunchDarklyFile, type LdFlag, type LdSegment, type LdServe } from './launchdarkly-source.ts'
import { uniqueKey } from './segment-keys.ts'

/**
 * The one mapping from LaunchDarkly (`sdk/latest-all`) to this project (issue 29). LaunchDarkly
 * evaluates targets, then rules, then the fallthrough, and the first that matches decides; here
 * cohorts are an OR. So each `true` outcome becomes cohorts whose conditions also say "no earlier
 * target or rule matched" (the complement of every earlier one, see `alternatives.ts`), and a
 * percentage rollout keeps LaunchDarkly's bucket through the `launchdarkly` bucketing mode, one
 * cohort per slice of the `true` variation (its `offset` is the weight before the slice).
 *
 * Only boolean flags map: a flag whose variations are not all booleans is multivariate.
 */

const MAX_COHORTS = 100
const BUCKETS = 100_000

class CannotMap extends Error {}
class TooManyCohorts extends CannotMap {}

/** A helper segment's key: lowercase, at most 64 characters, unique per flag and rule. */
function helperKey(flagKey: string, name: string): string {
  const hash = [...flagKey].reduce((h, ch) => (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0, 7).toString(36)
  const slug = flagKey.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 36)
  return `ld-${slug || 'flag'}-${hash}-${name}`.slice(0, 64)
}

interface FlagContext {
  flag: LdFlag
  segmentAlternatives: (key: string) => Alternatives
  approximations: string[]
  /**
   * Set on the second attempt, when keeping the order by complements needs too many cohorts:
   * an earlier rule that is one AND of conditions becomes a helper segment, and "it did not
   * match" is that segment negated — one condition instead of a product.
   */
  helperSegment?: (name: string, conditions: AttributeCondition[]) => string
}

const isTrue = (flag: LdFlag, variation: number | undefined) => variation !== undefined && flag.variations[variation] === true

function clauseAlternatives(clause: LaunchDarklyClause, ctx: FlagContext): Alternatives {
  if (clause.op === 'segmentMatch') {
    const member = either(...clause.values.map((key) => (typeof key === 'string' ? ctx.segmentAlternatives(key) : NEVER)))
    return clause.negate ? complement(member) : member
  }
  const mapped = mapLaunchDarklyClause(clause)
  if (typeof mapped === 'string') throw new CannotMap(mapped)
  return mapped
}

/** The cohorts serving `true` to the users of `who` (after `blockers`), by variation or rollout. */
function serveCohorts(ctx: FlagContext, serve: LdServe, who: Alternatives, name: string): Array<Omit<Cohort, 'name'> & { tag: string }> {
  const { flag } = ctx
  if (serve.rollout === undefined) {
    if (serve.variation === undefined) throw new CannotMap(`${name} serves nothing (malformed)`)
    return isTrue(flag, serve.variation) ? who.map((conditions) => ({ conditions, rollout: 100, tag: '' })) : []
  }
  const { rollout } = serve
  if (rollout.contextKind !== undefined && rollout.contextKind !== 'user')
    throw new CannotMap(`${name} rolls out by contexts of kind ${rollout.contextKind} (users only here)`)
  const out: Array<Omit<Cohort, 'name'> & { tag: string }> = []
  let offset = 0
  rollout.variations.forEach((slice, i) => {
    // LaunchDarkly: a bucket past the sum of the weights falls into the last variation.
    const weight = i === rollout.variations.length - 1 ? BUCKETS - offset : slice.weight
    if (isTrue(flag, slice.variation) && weight > 0) {
      const attribute = attributeHere(rollout.experiment ? 'key' : (rollout.bucketBy ?? 'key'))
      const bucketing = { mode: 'launchdarkly' as const, flagKey: flag.key, salt: flag.salt, attribute, offset, ...(rollout.seed === undefined ? {} : { seed: rollout.seed }) }
      for (const conditions of who) out.push({ conditions, rollout: Math.min(weight, BUCKETS) / 1000, bucketing, tag: `@${offset}` })
    }
    offset += slice.weight
  })
  return out
}

/** "None of `matched` held": complements, or a negated helper segment on the second attempt. */
function notMatched(ctx: FlagContext, name: string, matched: Alternatives): Alternatives {
  const single = matched.length === 1 && matched[0]!.length > 0 && matched[0]!.every((c) => !('segment' in c)) ? matched[0]! : undefined
  if (ctx.helperSegment === undefined || single === undefined) return complement(matched)
  return [[{ segment: ctx.helperSegment(name, single as AttributeCondition[]), negate: true }]]
}

/** Targets, rules and fallthrough as cohorts (first match wins, kept by the blockers). */
function onCohorts(ctx: FlagContext): Cohort[] {
  const { flag } = ctx
  const cohorts: Cohort[] = []
  let blockers: Alternatives = ALWAYS
  const add = (name: string, list: Array<Omit<Cohort, 'name'> & { tag: string }>) =>
    list.forEach(({ tag, ...c }, j) => cohorts.push({ name: `${name}${tag}${list.length > 1 ? `.${j + 1}` : ''}`.slice(0, 64), ...c }))
  flag.targets.forEach((target, i) => {
    if (target.values.length === 0) return
    if (target.contextKind !== 'user') throw new CannotMap(`targets contexts of kind ${target.contextKind} (users only here)`)
    const listed: Alternatives = [[{ attribute: 'userId', operator: 'in', values: [...new Set(target.values)] }]]
    if (isTrue(flag, target.variation)) add(`target-${i + 1}`, both(blockers, listed).map((conditions) => ({ conditions, rollout: 100, tag: '' })))
    blockers = both(blockers, notMatched(ctx, `target-${i + 1}`, listed))
  })
  flag.rules.forEach((rule, i) => {
    const matched = all(rule.clauses.map((c) => clauseAlternatives(c, ctx)))
    add(`rule-${i + 1}`, serveCohorts(ctx, rule.serve, both(blockers, matched), `rule ${i + 1}`))
    blockers = both(blockers, notMatched(ctx, `rule-${i + 1}`, matched))
    if (blockers.length > MAX_COHORTS) throw new TooManyCohorts(`its rules need more than ${MAX_COHORTS} cohorts to keep their order here`)
  })
  add('fallthrough', serveCohorts(ctx, flag.fallthrough, blockers, 'the fallthrough'))
  if (cohorts.length > MAX_COHORTS) throw new TooManyCohorts(`its rules need ${cohorts.length} cohorts here, more than ${MAX_COHORTS}`)
  return cohorts
}

/** A prerequisite is mappable when it gives every user the same answer (off, or on with one fixed variation). */
function prerequisiteHolds(flag: LdFlag, prereq: { key: string; variation: number }, flags: ReadonlyMap<string, LdFlag>): boolean {
  const parent = flags.get(prereq.key)
  if (parent === undefined) return false
  if (!parent.on) return false // LaunchDarkly: an off prerequisite is never met
  const constant = parent.targets.every((t) => t.values.length === 0) && parent.rules.length === 0 && parent.fallthrough.rollout === undefined && parent.prerequisites.length === 0
  if (!constant) throw new CannotMap(`prerequisite ${prereq.key} depends on the user (prerequisites have no equivalent here)`)
  return parent.fallthrough.variation === prereq.variation
}

function mapFlag(
  flag: LdFlag,
  flags: ReadonlyMap<string, LdFlag>,
  segmentAlternatives: (key: string) => Alternatives,
): { flag?: ImportedFlag; report: FlagReport; helpers?: ImportedSegment[] } {
  const approximations: string[] = []
  const notes: string[] = []
  const base = { key: flag.key, description: flag.description }
  try {
    if (!flag.variations.every((v) => typeof v === 'boolean'))
      throw new CannotMap(`multivariate: ${flag.variations.length} variations (${[...new Set(flag.variations.map((v) => typeof v))].join(', ')}); flags here are on/off`)
    const offAnswer = isTrue(flag, flag.offVariation)
    if (flag.offVariation === undefined) approximations.push('no off variation: LaunchDarkly answers the app\'s default value when off; here false')
    const everyone = (enabled: boolean): ImportedFlag => ({ ...base, enabled, cohorts: enabled ? [{ name: 'off-variation', conditions: [], rollout: 100 }] : [] })
    if (!flag.on) return done(everyone(offAnswer))
    for (const p of flag.prerequisites)
      if (!prerequisiteHolds(flag, p, flags)) {
        notes.push(`prerequisite ${p.key} is never met: everyone gets the off variation`)
        return done(everyone(offAnswer))
      }
    if (flag.prerequisites.length > 0) notes.push(`prerequisites ${flag.prerequisites.map((p) => p.key).join(', ')} are always met: dropped`)
    try {
      return done({ ...base, enabled: true, cohorts: onCohorts({ flag, segmentAlternatives, approximations }) })
    } catch (error) {
      if (!(error instanceof TooManyCohorts || error instanceof TooManyAlternatives)) throw error
      const helpers: ImportedSegment[] = []
      const helperSegment = (name: string, conditions: AttributeCondition[]) => {
        const key = helperKey(flag.key, name)
        helpers.push({ key, description: `LaunchDarkly flag ${flag.key}, ${name} (keeps the rule order)`, userIds: [], conditions })
        return key
      }
      const cohorts = onCohorts({ flag, segmentAlternatives, approximations, helperSegment })
      notes.push(`keeps its rule order with helper segments ${helpers.map((h) => h.key).join(', ')}`)
      return { ...done({ ...base, enabled: true, cohorts }), helpers }
    }
  } catch (error) {
    if (!(error instanceof CannotMap || error instanceof TooManyAlternatives)) throw error
    return { report: { key: flag.key, status: 'cannot_map', notes: [error.message] } }
  }
  function done(imported: ImportedFlag) {
    return { flag: imported, report: { key: flag.key, status: approximations.length > 0 ? ('approximate' as const) : ('exact' as const), notes: [...approximations, ...notes] } }
  }
}

/** A LaunchDarkly segment: a segment here when it is a list plus at most one unweighted rule, else inlined alternatives. */
function segmentMapper(source: ReadonlyMap<string, LdSegment>) {
  const created = new Map<string, ImportedSegment>()
  const report = new Map<string, SegmentReport>()
  const taken = new Set<string>()
  const cache = new Map<string, Alternatives>()
  const compute = (seg: LdSegment): Alternatives => {
    if (seg.unbounded) throw new CannotMap(`segment ${seg.key} is a big (unbounded) segment, whose members are not in the file`)
    if (seg.otherKinds) throw new CannotMap(`segment ${seg.key} lists contexts of other kinds than user`)
    if (seg.rules.some((r) => r.weighted)) throw new CannotMap(`segment ${seg.key} has a percentage rule`)
    const ctx: FlagContext = { flag: { key: seg.key } as LdFlag, segmentAlternatives: () => NEVER, approximations: [] }
    const rules = either(...seg.rules.map((r) => all(r.clauses.map((c) => clauseAlternatives(c, ctx)))))
    const onlyAttributes = rules.every((alt) => alt.every((c) => !('segment' in c)))
    // A rule without clauses admits everyone, which a segment here (a list, or all of its
    // conditions) cannot say: such segments are inlined.
    const everyRuleNarrows = rules.every((alt) => alt.length > 0)
    if (seg.excluded.length === 0 && rules.length <= 1 && everyRuleNarrows && onlyAttributes && (seg.included.length > 0 || rules.length > 0)) {
      const key = uniqueKey(seg.key, seg.key, taken)
      created.set(seg.key, { key, description: `LaunchDarkly segment ${seg.key}`, userIds: seg.included, conditions: (rules[0] ?? []) as AttributeCondition[] })
      report.set(seg.key, { source: seg.key, key, notes: [] })
      return [[{ segment: key }]]
    }
    report.set(seg.key, { source: seg.key, key: undefined, notes: ['inlined into the rules that use it (excluded users or several rules)'] })
    const included: Alternatives = seg.included.length > 0 ? only({ attribute: 'userId', operator: 'in', values: seg.included }) : NEVER
    const excluded: Alternatives = seg.excluded.length > 0 ? complement([[{ attribute: 'userId', operator: 'in', values: seg.excluded }]]) : ALWAYS
    return either(included, both(excluded, rules))
  }
  return {
    alternatives(key: string): Alternatives {
      const seg = source.get(key)
      if (seg === undefined) return NEVER // LaunchDarkly: an unknown segment matches nobody
      let alts = cache.get(key)
      if (alts === undefined) cache.set(key, (alts = compute(seg)))
      return alts
    },
    created,
    report,
  }
}

/**
 * Maps a LaunchDarkly `sdk/latest-all` document to an import plan. Throws `ImportFileError`
 * naming the place when the file is not one.
 *
 * @example
 * mapLaunchDarkly({ flags: { 'new-checkout': { key: 'new-checkout', on: true, salt: 's', variations: [true, false], offVariation: 1, fallthrough: { rollout: { variations: [{ variation: 0, weight: 25000 }, { variation: 1, weight: 75000 }] } } } }, segments: {} })
 * // flags[0].cohorts[0]: { name: 'fallthrough@0', rollout: 25, bucketing: { mode: 'launchdarkly', flagKey: 'new-checkout', salt: 's', attribute: 'userId', offset: 0 } }
 */
export function mapLaunchDarkly(input: unknown): ImportPlan {
  const file = readLaunchDarklyFile(input)
  const byKey = new Map(file.flags.map((f) => [f.key, f]))
  const segments = segmentMapper(file.segments)
  const flags: ImportedFlag[] = []
  const report: FlagReport[] = []
  for (const source of file.flags) {
    const mapped = mapFlag(source, byKey, (key) => segments.alternatives(key))
    report.push(mapped.report)
    if (mapped.flag !== undefined) flags.push(mapped.flag)
    for (const helper of mapped.helpers ?? []) segments.created.set(helper.key, helper)
  }
  const used = new Set(flags.flatMap((f) => f.cohorts.flatMap((c) => c.conditions.flatMap((x: Condition) => ('segment' in x ? [x.segment] : [])))))
  const segmentReport = [...file.segments.keys()].map(
    (key) => segments.report.get(key) ?? { source: key, key: undefined, notes: ['no imported flag uses it: not imported'] },
  )
  return { source: 'launchdarkly', flags, segments: [...segments.created.values()].filter((s) => used.has(s.key)), report, segmentReport }
}

/**
 * A user here as a LaunchDarkly user context: `userId` is the context key, every other attribute
 * is a custom attribute of the same name.
 *
 * @example
 * userToLaunchDarklyContext({ userId: 'u1', country: 'de' }) // { kind: 'user', key: 'u1', country: 'de' }
 */
export function userToLaunchDarklyContext(user: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { userId, ...rest } = user
  return { kind: 'user', key: userId === undefined ? '' : String(userId), ...rest }
}
