import { readFileSync } from 'node:fs'
import { apiOptions, onePositional, parseCommand, required } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { connectionFrom } from './http.ts'
import { printJson, type Io } from './io.ts'
import { expectShape } from './shape.ts'
import * as shapes from '../../api-shapes/index.ts'
import { flagReportLines, outcomeSummary, segmentReportLines, statusSummary } from '../import/report-text.ts'

/**
 * `canary import unleash|launchdarkly FILE --env E [--dry-run] [--overwrite]`: sends the file to
 * `POST /api/v1/import/:source`, which maps and writes it in one transaction, and prints the
 * report (one line per flag; `--json` for the API's answer).
 */

const options = {
  ...apiOptions,
  env: { type: 'string' },
  'dry-run': { type: 'boolean' },
  overwrite: { type: 'boolean' },
  'source-env': { type: 'string' },
} as const

/** The file's text, or a one-line error naming it. */
export function readSourceFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, 1, { cause: error })
  }
}

async function post(url: string, key: string, path: string, body: string): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, accept: 'application/json', 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(120_000),
    })
  } catch (error) {
    throw new CliError(`cannot reach ${url}: ${(error as Error).message}`, 1, { cause: error })
  }
  const text = await response.text()
  let json: { error?: { message?: string } } | undefined
  try {
    json = text === '' ? undefined : (JSON.parse(text) as { error?: { message?: string } })
  } catch (error) {
    throw new CliError(`unexpected response from ${url}${path} (${response.status}): not JSON`, 1, { cause: error })
  }
  if (!response.ok) throw new CliError(`${response.status}: ${json?.error?.message ?? text.slice(0, 200)}`)
  return json
}

function importCommand(source: 'unleash' | 'launchdarkly'): Command {
  const name = `import ${source}`
  return {
    synopsis: '<file> --env E [--dry-run] [--overwrite] [--source-env E]',
    summary: `import flags and segments from ${source === 'unleash' ? "Unleash's client features or admin export" : "LaunchDarkly's sdk/latest-all"} JSON, all or nothing`,
    usesApi: true,
    async run(args: string[], io: Io) {
      const { values, positionals } = parseCommand(args, options, name)
      const file = onePositional(positionals, 'file', name)
      const env = required(values.env, '--env <environment>', name)
      const { url, key } = connectionFrom(values, io.env)
      const query = new URLSearchParams({ environment: env, dryRun: String(values['dry-run'] === true), overwrite: String(values.overwrite === true) })
      if (values['source-env'] !== undefined) query.set('sourceEnvironment', values['source-env'])
      const data = await post(url, key, `/api/v1/import/${source}?${query}`, readSourceFile(file))
      if (values.json) return printJson(io, data)
      const answer = expectShape(shapes.importResult, data, 'import result')
      for (const line of flagReportLines(answer.report, answer.outcome)) io.out(line)
      for (const line of segmentReportLines(answer.segments, answer.outcome)) io.out(line)
      io.out(statusSummary(answer.report))
      io.out(answer.dryRun ? `dry run: nothing written (would be ${outcomeSummary(answer.outcome)})` : `${env}: ${outcomeSummary(answer.outcome)}`)
    },
  }
}

export const importCommands: CommandGroup = { unleash: importCommand('unleash'), launchdarkly: importCommand('launchdarkly') }
