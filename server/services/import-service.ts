import { bucketingProblem } from '../../sdk/core/index.ts'
import { rulesSizeProblem } from '../domain/rules-size.ts'
import { ValidationError } from '../errors.ts'
import { ImportFileError, type ImportPlan } from '../import/import-plan.ts'
import { mapLaunchDarkly } from '../import/launchdarkly-map.ts'
import { mapUnleash } from '../import/unleash-map.ts'
import type { ImportInput, ImportOutcome, Store } from '../store/contract.ts'
import { flagKey, parse, schemas, cohorts as cohortsSchema } from '../validation.ts'
import { checkCost, unknownSegments, type FlagService } from './flag-service.ts'

/**
 * Imports from Unleash and LaunchDarkly: map the file (server/import/, pure), check every flag
 * and segment with the admin API's own rules, then write it all in one transaction through the
 * flag service (or, for a dry run, only decide). The answer is the mapping report (one line per
 * source flag) and what happened to each flag and segment.
 */

export type ImportSource = 'unleash' | 'launchdarkly'
export const IMPORT_SOURCES: readonly ImportSource[] = ['unleash', 'launchdarkly']

export interface ImportOptions {
  environment: string
  dryRun: boolean
  overwrite: boolean
  actor: string
  /** Unleash admin exports with several environments: which one to read. */
  sourceEnvironment?: string | undefined
}

export interface ImportResult {
  source: ImportSource
  environment: string
  dryRun: boolean
  report: ImportPlan['report']
  segments: ImportPlan['segmentReport']
  outcome: ImportOutcome
}

/** The plan for a file, or a 400 naming the place in the file. */
export function planImport(source: ImportSource, file: unknown, sourceEnvironment?: string): ImportPlan {
  try {
    return source === 'unleash' ? mapUnleash(file, { sourceEnvironment }) : mapLaunchDarkly(file)
  } catch (error) {
    if (error instanceof ImportFileError) throw new ValidationError(`file: ${error.message}`, { path: error.path }, { cause: error })
    throw error
  }
}

/** `parse`, with every message prefixed by what was checked (a flag or segment of the file). */
function parseNamed<T extends Parameters<typeof parse>[0]>(schema: T, input: unknown, what: string): ReturnType<typeof parse<T>> {
  try {
    return parse(schema, input, what)
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`${what}: ${error.message}`, error.details, { cause: error })
    throw error
  }
}

/** The plan's flags and segments checked with the admin API's schemas; a 400 names the flag. */
export function checkedInput(plan: ImportPlan): ImportInput {
  const flags = plan.flags.map((flag) => {
    parseNamed(flagKey, flag.key, `flag ${JSON.stringify(flag.key)}: key`)
    // The cohort schema without `bucketing`, which the core checks (its one rule).
    parseNamed(cohortsSchema, flag.cohorts.map(({ bucketing: _b, ...rest }) => rest), `flag ${flag.key}: cohorts`)
    flag.cohorts.forEach((c, i) => {
      const problem = bucketingProblem(c.bucketing)
      if (problem) throw new ValidationError(`flag ${flag.key}: cohorts.${i}: ${problem}`)
    })
    return { key: flag.key, description: flag.description.slice(0, 1000), enabled: flag.enabled, cohorts: flag.cohorts }
  })
  const segments = plan.segments.map((segment) => {
    const { version: _v, ...checked } = parseNamed(schemas.segment, { ...segment, description: segment.description.slice(0, 1000) }, `segment ${segment.key}`)
    return checked
  })
  return { flags, segments }
}

/**
 * Every flag and segment in one store transaction, then the changes published after commit
 * (through the flag service, the one publishing path). Checked first against the environment:
 * segment references and evaluation cost.
 */
async function writeImport(
  { store, service }: { store: Store; service: FlagService },
  envKey: string,
  input: ImportInput,
  options: { actor: string; overwrite: boolean; dryRun: boolean; source: string },
): Promise<ImportOutcome> {
  await store.flags.getEnvironment(envKey)
  const stored = await store.segments.list(envKey)
  const imported = new Set(input.segments.map((s) => s.key))
  const segments = [...stored.filter((s) => !imported.has(s.key)), ...input.segments.map((s) => ({ ...s, version: 0 }))]
  const known = new Set(segments.map((s) => s.key))
  for (const flag of input.flags) {
    const missing = unknownSegments(flag.cohorts, known)
    if (missing.length) throw new ValidationError(`flag ${flag.key}: unknown segment ${missing.join(', ')} in ${envKey}`)
    checkCost(`flag ${flag.key}: cohorts`, flag.cohorts, segments)
  }
  const last = input.flags.at(-1)
  if (last !== undefined) {
    // The environment's rules after the import (imported flags replacing theirs) stay in bounds.
    const importedKeys = new Set(input.flags.map((f) => f.key))
    const states = await store.flags.listStates(envKey)
    const flags = [...states.filter((s) => !importedKeys.has(s.key)), ...input.flags]
    const problem = rulesSizeProblem({ environment: envKey, flags, segments, write: { flag: last.key, cohorts: last.cohorts }, limit: service.maxRulesBytes })
    if (problem) throw new ValidationError(`file: ${problem}`)
  }
  const { outcome, changes } = await store.imports.importRules(envKey, input, options)
  service.publishCommitted(changes)
  return outcome
}

/**
 * @example
 * const result = await importFile({ store, service }, 'unleash', file, { environment: 'production', dryRun: true, overwrite: false, actor: 'alice' })
 * result.report // [{ key: 'Feature.A', status: 'exact', notes: [] }, …]
 */
export async function importFile(
  deps: { store: Store; service: FlagService },
  source: ImportSource,
  file: unknown,
  options: ImportOptions,
): Promise<ImportResult> {
  const plan = planImport(source, file, options.sourceEnvironment)
  const outcome = await writeImport(deps, options.environment, checkedInput(plan), {
    actor: options.actor,
    overwrite: options.overwrite,
    dryRun: options.dryRun,
    source,
  })
  return { source, environment: options.environment, dryRun: options.dryRun, report: plan.report, segments: plan.segmentReport, outcome }
}
