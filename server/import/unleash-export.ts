import { ImportFileError } from './import-plan.ts'
import { array, isRecord, optionalArray, optionalString, record, string, type Json } from './source-json.ts'

/**
 * Unleash's admin export (`POST /api/admin/features-batch/export`, or the older
 * `GET /api/admin/state/export`): features, `featureStrategies` and `featureEnvironments` as
 * separate lists, possibly for several environments. Turned into the client features shape of
 * one environment so one mapping (`unleash-map.ts`) reads both.
 */

export function isUnleashExport(input: unknown): input is Json {
  return isRecord(input) && Array.isArray(input.featureStrategies)
}

function environmentsIn(rows: unknown[]): Set<string> {
  const found = new Set<string>()
  for (const row of rows) if (isRecord(row) && typeof row.environment === 'string') found.add(row.environment)
  return found
}

/** The one environment to read: the one given, or the only one the export has. */
function pickEnvironment(envs: Set<string>, wanted: string | undefined): string | undefined {
  if (wanted !== undefined) {
    if (envs.size > 0 && !envs.has(wanted))
      throw new ImportFileError('featureEnvironments', `no environment ${JSON.stringify(wanted)} in the export (it has ${[...envs].join(', ')})`)
    return wanted
  }
  if (envs.size > 1)
    throw new ImportFileError(
      'featureEnvironments',
      `the export has environments ${[...envs].join(', ')}: name the one to import (sourceEnvironment / --source-env)`,
    )
  return [...envs][0]
}

/** The client features document of one environment of an admin export. */
export function fromUnleashExport(input: Json, sourceEnvironment: string | undefined): Json {
  const strategies = array(input.featureStrategies, 'featureStrategies')
  const featureEnvs = optionalArray(input.featureEnvironments, 'featureEnvironments')
  const env = pickEnvironment(new Set([...environmentsIn(strategies), ...environmentsIn(featureEnvs)]), sourceEnvironment)
  const inEnv = (row: Json) => env === undefined || row.environment === undefined || row.environment === env
  const enabled = new Map<string, Json>()
  featureEnvs.forEach((row, i) => {
    const r = record(row, `featureEnvironments[${i}]`)
    if (inEnv(r)) enabled.set(string(r.featureName, `featureEnvironments[${i}].featureName`), r)
  })
  const byFeature = new Map<string, Json[]>()
  strategies.forEach((row, i) => {
    const r = record(row, `featureStrategies[${i}]`)
    if (!inEnv(r)) return
    const name = string(r.featureName, `featureStrategies[${i}].featureName`)
    const list = byFeature.get(name) ?? []
    list.push({ ...r, name: string(r.strategyName ?? r.name, `featureStrategies[${i}].name`) })
    byFeature.set(name, list)
  })
  const dependencies = new Map<string, unknown>()
  optionalArray(input.dependencies, 'dependencies').forEach((row, i) => {
    const r = record(row, `dependencies[${i}]`)
    dependencies.set(string(r.feature, `dependencies[${i}].feature`), r.dependencies)
  })
  const features = array(input.features, 'features').map((row, i) => {
    const f = record(row, `features[${i}]`)
    const name = string(f.name, `features[${i}].name`)
    const state = enabled.get(name)
    const sorted = (byFeature.get(name) ?? []).sort((a, b) => Number(a.sortOrder ?? 0) - Number(b.sortOrder ?? 0))
    return {
      name,
      description: optionalString(f.description, `features[${i}].description`) ?? '',
      // A feature with no row for the environment is off there.
      enabled: state?.enabled === true,
      strategies: sorted,
      variants: state?.variants ?? f.variants ?? [],
      dependencies: dependencies.get(name) ?? [],
    }
  })
  return { version: 2, features, segments: input.segments ?? [] }
}
