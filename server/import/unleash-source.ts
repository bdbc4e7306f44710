import type { UnleashConstraint } from './unleash-constraints.ts'
import { ImportFileError } from './import-plan.ts'
import { array, boolean, isRecord, optionalArray, optionalString, record, string, type Json } from './source-json.ts'

/**
 * Unleash's client features format (`GET /api/client/features`: `{version, features, segments?}`)
 * read from `unknown` into typed records, with errors naming the place. The admin export
 * (`featureStrategies` + `featureEnvironments`) is turned into the same shape first
 * (`unleash-export.ts`).
 */

export interface UnleashStrategy {
  name: string
  parameters: Record<string, string>
  constraints: UnleashConstraint[]
  /** Segment ids; an id the file does not define makes the strategy never match (as in Unleash). */
  segments: number[]
  variants: number
  disabled: boolean
}

export interface UnleashFeature {
  name: string
  description: string
  enabled: boolean
  strategies: UnleashStrategy[]
  /** Flag-level variants (count, and whether any carries a payload). */
  variants: { count: number; payloads: boolean }
  dependencies: string[]
}

export interface UnleashSegmentSource {
  id: number
  name: string
  description: string
  constraints: UnleashConstraint[]
}

export interface UnleashFile {
  features: UnleashFeature[]
  segments: UnleashSegmentSource[]
}

export function readConstraint(value: unknown, path: string): UnleashConstraint {
  const c = record(value, path)
  const values = optionalArray(c.values, `${path}.values`).map((v, i) =>
    typeof v === 'number' ? String(v) : string(v, `${path}.values[${i}]`),
  )
  const single = c.value
  return {
    contextName: string(c.contextName, `${path}.contextName`),
    operator: string(c.operator, `${path}.operator`),
    values,
    value: typeof single === 'number' ? String(single) : optionalString(single, `${path}.value`),
    caseInsensitive: c.caseInsensitive === undefined ? false : boolean(c.caseInsensitive, `${path}.caseInsensitive`),
    inverted: c.inverted === undefined ? false : boolean(c.inverted, `${path}.inverted`),
  }
}

function readParameters(value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {}
  const p = record(value, path)
  const out: Record<string, string> = {}
  for (const [name, v] of Object.entries(p)) {
    // Unleash stores parameters as strings; older exports have numbers (rollout: 50).
    if (typeof v === 'number' || typeof v === 'boolean') out[name] = String(v)
    else out[name] = string(v, `${path}.${name}`)
  }
  return out
}

function readSegmentIds(value: unknown, path: string): number[] {
  return optionalArray(value, path).map((id, i) => {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new ImportFileError(`${path}[${i}]`, 'expected a segment id (an integer)')
    return id
  })
}

/** Segments inlined into a strategy (`{id, constraints}` objects) are collected into `inlined`. */
function readStrategy(value: unknown, path: string, inlined: Map<number, UnleashSegmentSource>): UnleashStrategy {
  const s = record(value, path)
  const segmentField = optionalArray(s.segments, `${path}.segments`)
  const segments = segmentField.every((x) => isRecord(x))
    ? segmentField.map((x, i) => {
        const segment = readSegment(x, `${path}.segments[${i}]`)
        inlined.set(segment.id, segment)
        return segment.id
      })
    : readSegmentIds(segmentField, `${path}.segments`)
  return {
    name: string(s.name, `${path}.name`),
    parameters: readParameters(s.parameters, `${path}.parameters`),
    constraints: optionalArray(s.constraints, `${path}.constraints`).map((c, i) => readConstraint(c, `${path}.constraints[${i}]`)),
    segments,
    variants: optionalArray(s.variants, `${path}.variants`).length,
    disabled: s.disabled === true,
  }
}

function readFeature(value: unknown, path: string, inlined: Map<number, UnleashSegmentSource>): UnleashFeature {
  const f = record(value, path)
  const variants = optionalArray(f.variants, `${path}.variants`)
  return {
    name: string(f.name, `${path}.name`),
    description: optionalString(f.description, `${path}.description`) ?? '',
    enabled: boolean(f.enabled, `${path}.enabled`),
    strategies: optionalArray(f.strategies, `${path}.strategies`).map((s, i) => readStrategy(s, `${path}.strategies[${i}]`, inlined)),
    variants: { count: variants.length, payloads: variants.some((v) => isRecord(v) && v.payload !== undefined && v.payload !== null) },
    dependencies: optionalArray(f.dependencies, `${path}.dependencies`).map((d, i) =>
      string(record(d, `${path}.dependencies[${i}]`).feature, `${path}.dependencies[${i}].feature`),
    ),
  }
}

export function readSegment(value: unknown, path: string): UnleashSegmentSource {
  const s = record(value, path)
  if (typeof s.id !== 'number' || !Number.isInteger(s.id)) throw new ImportFileError(`${path}.id`, 'expected an integer id')
  return {
    id: s.id,
    name: optionalString(s.name, `${path}.name`) ?? `segment-${s.id}`,
    description: optionalString(s.description, `${path}.description`) ?? '',
    constraints: optionalArray(s.constraints, `${path}.constraints`).map((c, i) => readConstraint(c, `${path}.constraints[${i}]`)),
  }
}

/**
 * Reads a client features document.
 *
 * @example
 * readUnleashFile({ version: 2, features: [{ name: 'a', enabled: true, strategies: [{ name: 'default' }] }] })
 */
export function readUnleashFile(value: unknown): UnleashFile {
  const file: Json = record(value, '')
  const inlined = new Map<number, UnleashSegmentSource>()
  const features = array(file.features, 'features').map((f, i) => readFeature(f, `features[${i}]`, inlined))
  const listed = optionalArray(file.segments, 'segments').map((s, i) => readSegment(s, `segments[${i}]`))
  const byId = new Map(inlined)
  for (const s of listed) byId.set(s.id, s)
  const seen = new Set<string>()
  features.forEach((f, i) => {
    if (seen.has(f.name)) throw new ImportFileError(`features[${i}].name`, `duplicate feature ${JSON.stringify(f.name)}`)
    seen.add(f.name)
  })
  return { features, segments: [...byId.values()] }
}
