import { apiOptions, onePositional, parseCommand, required } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { readSourceFile } from './import.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { printJson, type Io } from './io.ts'
import { expectShape } from './shape.ts'
import * as z from 'zod/mini'
import { launchDarklySdk, unleashSdk, type SourceSdk } from './verify-sources.ts'
import { ImportFileError, type ImportPlan } from '../import/import-plan.ts'
import { mapLaunchDarkly } from '../import/launchdarkly-map.ts'
import { statusSummary } from '../import/report-text.ts'
import { parseJsonText } from '../import/source-json.ts'
import { mapUnleash } from '../import/unleash-map.ts'
import { parseUsersCsv } from '../import/users-csv.ts'
import { compareAll, type VerifyResult } from '../import/verify.ts'

/**
 * `canary verify unleash|launchdarkly FILE --users users.csv`: every flag of the file for every
 * user, by the source's official SDK (offline, on the same file) and by this project's core on
 * the flags the import makes of it (the same mapping `canary import` uses) or, with `--env`, on
 * the flags as the server holds them, and where they disagree. Exit code 1 when a flag reported `exact` disagrees for anyone.
 *
 * Users without `currentTime` get the moment verify started (or `--at`), on both sides, so
 * Unleash's date constraints compare the same clock.
 */

const options = {
  ...apiOptions,
  env: { type: 'string' },
  users: { type: 'string' },
  'source-env': { type: 'string' },
  at: { type: 'string' },
} as const

function failOnFile<T>(what: string, run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (error instanceof ImportFileError) throw new CliError(`${what}: ${error.message}`, 1, { cause: error })
    throw error
  }
}

/** Enough of `GET …/snapshot` to evaluate: the flags' rules and the segments, as stored. */
const storedRules = z.object({
  flags: z.array(z.object({ key: z.string(), enabled: z.boolean(), cohorts: z.array(z.any()) })),
  segments: z.array(z.object({ key: z.string(), description: z.optional(z.string()), userIds: z.array(z.string()), conditions: z.array(z.any()) })),
})

/**
 * `--env E`: the flags as the server holds them (what the import wrote, and any change since)
 * instead of the file's mapping. A flag of the file the server does not have is not compared.
 */
async function storedPlan(plan: ImportPlan, env: string, values: { url?: string | undefined; key?: string | undefined }, io: Io): Promise<ImportPlan> {
  const api = createApiClient(connectionFrom(values, io.env))
  const snapshot = expectShape(storedRules, await api('GET', `${apiPath`/api/v1/environments/${env}/snapshot`}?bucketing=unleash,launchdarkly`), 'snapshot')
  const wanted = new Set(plan.flags.map((f) => f.key))
  const flags = snapshot.flags.filter((f) => wanted.has(f.key)).map((f) => ({ key: f.key, description: '', enabled: f.enabled, cohorts: f.cohorts }))
  const found = new Set(flags.map((f) => f.key))
  const report = plan.report.map((r) =>
    r.status !== 'cannot_map' && !found.has(r.key) ? { ...r, status: 'cannot_map' as const, notes: [`not in ${env} on the server`] } : r,
  )
  return { ...plan, flags, report, segments: snapshot.segments.map((g) => ({ ...g, description: g.description ?? '' })) }
}

function printResult(io: Io, result: VerifyResult, summary: string): void {
  io.out(summary)
  io.out(`compared ${result.flags} flags for ${result.users} users${result.skipped.length > 0 ? `; not compared (cannot map): ${result.skipped.join(', ')}` : ''}`)
  for (const d of result.disagreements) {
    io.out(`${d.status === 'exact' ? 'DISAGREES' : 'differs (approximate)'}  ${d.key}: ${d.count} of ${result.users} users`)
    for (const e of d.examples) io.out(`    ${JSON.stringify(e.user)}: source ${e.source}, here ${e.here}`)
  }
  const exact = result.disagreements.filter((d) => d.status === 'exact')
  io.out(exact.length === 0 ? 'no disagreements on exactly mapped flags' : `${exact.length} exactly mapped flags disagree`)
}

function verifyCommand(source: 'unleash' | 'launchdarkly'): Command {
  const name = `verify ${source}`
  return {
    synopsis: '<file> --users users.csv [--env E] [--source-env E] [--at ISO-TIME]',
    summary: `compare ${source === 'unleash' ? 'unleash-client' : "LaunchDarkly's Node SDK"} with this project on every flag of the file for every user (offline; --env: the flags as the server holds them)`,
    usesApi: true,
    async run(args: string[], io: Io) {
      const { values, positionals } = parseCommand(args, options, name)
      const path = onePositional(positionals, 'file', name)
      const usersPath = required(values.users, '--users <users.csv>', name)
      const at = values.at ?? new Date().toISOString()
      if (Number.isNaN(Date.parse(at))) throw new CliError(`--at: ${at} is not an ISO-8601 time`)
      const file = failOnFile(path, () => parseJsonText(readSourceFile(path), path))
      const mapped = failOnFile(path, () => (source === 'unleash' ? mapUnleash(file, { sourceEnvironment: values['source-env'] }) : mapLaunchDarkly(file)))
      const plan = values.env === undefined ? mapped : await storedPlan(mapped, values.env, values, io)
      const users = failOnFile(usersPath, () => parseUsersCsv(readSourceFile(usersPath))).map((u) => ({ currentTime: at, ...u }))
      const sdk: SourceSdk = source === 'unleash' ? await unleashSdk(file, values['source-env']) : await launchDarklySdk(file)
      let result: VerifyResult
      try {
        result = await compareAll(plan, users, (user) => sdk.answers(user))
      } finally {
        await sdk.close()
      }
      if (values.json) printJson(io, result)
      else printResult(io, result, statusSummary(plan.report))
      if (result.disagreements.some((d) => d.status === 'exact')) throw new CliError('exactly mapped flags disagree (see above)')
    },
  }
}

export const verifyCommands: CommandGroup = { unleash: verifyCommand('unleash'), launchdarkly: verifyCommand('launchdarkly') }
