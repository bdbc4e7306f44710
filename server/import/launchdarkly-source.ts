import type { LaunchDarklyClause } from './launchdarkly-clauses.ts'
import { ImportFileError } from './import-plan.ts'
import { array, boolean, isRecord, optionalArray, optionalString, record, string, type Json } from './source-json.ts'

/**
 * LaunchDarkly's `sdk/latest-all` document (`{flags: {key: flag}, segments: {key: segment}}`, what
 * a relay proxy or `ld-relay` serves, and what the SDKs' file data source reads) as typed records.
 */

export interface LdRollout {
  variations: Array<{ variation: number; weight: number }>
  bucketBy: string | undefined
  seed: number | undefined
  contextKind: string | undefined
  /** `experiment` rollouts bucket by the context key whatever `bucketBy` says. */
  experiment: boolean
}

/** Either a fixed variation or a rollout. */
export interface LdServe {
  variation: number | undefined
  rollout: LdRollout | undefined
}

export interface LdRule {
  clauses: LaunchDarklyClause[]
  serve: LdServe
}

export interface LdFlag {
  key: string
  on: boolean
  salt: string
  variations: unknown[]
  offVariation: number | undefined
  prerequisites: Array<{ key: string; variation: number }>
  targets: Array<{ values: string[]; variation: number; contextKind: string }>
  rules: LdRule[]
  fallthrough: LdServe
  description: string
}

export interface LdSegment {
  key: string
  included: string[]
  excluded: string[]
  rules: Array<{ clauses: LaunchDarklyClause[]; weighted: boolean }>
  salt: string
  unbounded: boolean
  otherKinds: boolean
}

const int = (v: unknown, path: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ImportFileError(path, 'expected an integer')
  return v
}
const optionalInt = (v: unknown, path: string) => (v === undefined || v === null ? undefined : int(v, path))
const strings = (v: unknown, path: string) => optionalArray(v, path).map((x, i) => string(x, `${path}[${i}]`))

export function readClause(value: unknown, path: string): LaunchDarklyClause {
  const c = record(value, path)
  return {
    attribute: string(c.attribute, `${path}.attribute`),
    op: string(c.op, `${path}.op`),
    values: array(c.values, `${path}.values`),
    negate: c.negate === undefined ? false : boolean(c.negate, `${path}.negate`),
    contextKind: optionalString(c.contextKind, `${path}.contextKind`),
  }
}

function readServe(value: Json, path: string): LdServe {
  if (value.rollout !== undefined && value.rollout !== null) {
    const r = record(value.rollout, `${path}.rollout`)
    return {
      variation: undefined,
      rollout: {
        variations: array(r.variations, `${path}.rollout.variations`).map((v, i) => {
          const w = record(v, `${path}.rollout.variations[${i}]`)
          return { variation: int(w.variation, `${path}.rollout.variations[${i}].variation`), weight: int(w.weight, `${path}.rollout.variations[${i}].weight`) }
        }),
        bucketBy: optionalString(r.bucketBy, `${path}.rollout.bucketBy`),
        seed: optionalInt(r.seed, `${path}.rollout.seed`),
        contextKind: optionalString(r.contextKind, `${path}.rollout.contextKind`),
        experiment: r.kind === 'experiment',
      },
    }
  }
  return { variation: optionalInt(value.variation, `${path}.variation`), rollout: undefined }
}

function readFlag(key: string, value: unknown, path: string): LdFlag {
  const f = record(value, path)
  const targets = [
    ...optionalArray(f.targets, `${path}.targets`).map((t, i) => ({ t: record(t, `${path}.targets[${i}]`), p: `${path}.targets[${i}]`, kind: 'user' })),
    ...optionalArray(f.contextTargets, `${path}.contextTargets`).map((t, i) => {
      const r = record(t, `${path}.contextTargets[${i}]`)
      return { t: r, p: `${path}.contextTargets[${i}]`, kind: optionalString(r.contextKind, `${path}.contextTargets[${i}].contextKind`) ?? 'user' }
    }),
  ]
  return {
    key,
    on: boolean(f.on, `${path}.on`),
    salt: optionalString(f.salt, `${path}.salt`) ?? '',
    variations: array(f.variations, `${path}.variations`),
    offVariation: optionalInt(f.offVariation, `${path}.offVariation`),
    prerequisites: optionalArray(f.prerequisites, `${path}.prerequisites`).map((p, i) => {
      const r = record(p, `${path}.prerequisites[${i}]`)
      return { key: string(r.key, `${path}.prerequisites[${i}].key`), variation: int(r.variation, `${path}.prerequisites[${i}].variation`) }
    }),
    targets: targets.map(({ t, p, kind }) => ({ values: strings(t.values, `${p}.values`), variation: int(t.variation, `${p}.variation`), contextKind: kind })),
    rules: optionalArray(f.rules, `${path}.rules`).map((r, i) => {
      const rule = record(r, `${path}.rules[${i}]`)
      return {
        clauses: optionalArray(rule.clauses, `${path}.rules[${i}].clauses`).map((c, j) => readClause(c, `${path}.rules[${i}].clauses[${j}]`)),
        serve: readServe(rule, `${path}.rules[${i}]`),
      }
    }),
    fallthrough: readServe(record(f.fallthrough ?? {}, `${path}.fallthrough`), `${path}.fallthrough`),
    description: optionalString(f.description, `${path}.description`) ?? '',
  }
}

function readSegment(key: string, value: unknown, path: string): LdSegment {
  const s = record(value, path)
  const contextLists = [...optionalArray(s.includedContexts, `${path}.includedContexts`), ...optionalArray(s.excludedContexts, `${path}.excludedContexts`)]
  return {
    key,
    included: strings(s.included, `${path}.included`),
    excluded: strings(s.excluded, `${path}.excluded`),
    rules: optionalArray(s.rules, `${path}.rules`).map((r, i) => {
      const rule = record(r, `${path}.rules[${i}]`)
      return {
        clauses: optionalArray(rule.clauses, `${path}.rules[${i}].clauses`).map((c, j) => readClause(c, `${path}.rules[${i}].clauses[${j}]`)),
        weighted: rule.weight !== undefined && rule.weight !== null,
      }
    }),
    salt: optionalString(s.salt, `${path}.salt`) ?? '',
    unbounded: s.unbounded === true,
    otherKinds: contextLists.some((c) => isRecord(c) && c.contextKind !== 'user'),
  }
}

export interface LdFile {
  flags: LdFlag[]
  segments: Map<string, LdSegment>
}

/** Reads a `sdk/latest-all` document (objects keyed by flag and segment key). */
export function readLaunchDarklyFile(value: unknown): LdFile {
  const file = record(value, '')
  const flags = Object.entries(record(file.flags, 'flags')).map(([key, f]) => readFlag(key, f, `flags[${JSON.stringify(key)}]`))
  const segments = new Map(
    Object.entries(file.segments === undefined ? {} : record(file.segments, 'segments')).map(([key, s]) => [
      key,
      readSegment(key, s, `segments[${JSON.stringify(key)}]`),
    ]),
  )
  return { flags, segments }
}
