import { onePositional, parseCommand, required } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { readSourceFile } from './import.ts'
import { printJson, type Io } from './io.ts'
import { launchDarklySdk, unleashSdk, type SourceSdk } from './verify-sources.ts'
import { ImportFileError } from '../import/import-plan.ts'
import { mapLaunchDarkly } from '../import/launchdarkly-map.ts'
import { statusSummary } from '../import/report-text.ts'
import { parseJsonText } from '../import/source-json.ts'
import { mapUnleash } from '../import/unleash-map.ts'
import { parseUsersCsv } from '../import/users-csv.ts'
import { compareAll, type VerifyResult } from '../import/verify.ts'

/**
 * `canary verify unleash|launchdarkly FILE --users users.csv`: every flag of the file for every
 * user, by the source's official SDK (offline, on the same file) and by this project's core on
 * the flags the import makes of it (the same mapping `canary import` uses), and where they
 * disagree. Exit code 1 when a flag reported `exact` disagrees for anyone.
 *
 * Users without `currentTime` get the moment verify started (or `--at`), on both sides, so
 * Unleash's date constraints compare the same clock.
 */

const options = {
  users: { type: 'string' },
  json: { type: 'boolean' },
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
    synopsis: '<file> --users users.csv [--source-env E] [--at ISO-TIME]',
    summary: `compare ${source === 'unleash' ? 'unleash-client' : "LaunchDarkly's Node SDK"} with this project on every flag of the file for every user (offline)`,
    async run(args: string[], io: Io) {
      const { values, positionals } = parseCommand(args, options, name)
      const path = onePositional(positionals, 'file', name)
      const usersPath = required(values.users, '--users <users.csv>', name)
      const at = values.at ?? new Date().toISOString()
      if (Number.isNaN(Date.parse(at))) throw new CliError(`--at: ${at} is not an ISO-8601 time`)
      const file = failOnFile(path, () => parseJsonText(readSourceFile(path), path))
      const plan = failOnFile(path, () => (source === 'unleash' ? mapUnleash(file, { sourceEnvironment: values['source-env'] }) : mapLaunchDarkly(file)))
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
