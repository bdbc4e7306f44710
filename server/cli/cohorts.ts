import { apiOptions, onePositional, parseCommand, required } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { cohortConditions, conditionOptions } from './conditions.ts'
import { CliError } from './errors.ts'
import { percent } from './format.ts'
import { conditionsText } from '../../api-shapes/audience.ts'
import { apiPath, connectionFrom, createApiClient, type ApiClient } from './http.ts'
import { isYes, printJson, type Io } from './io.ts'
import { parsePercent } from './flag-state.ts'
import { expectShape } from './shape.ts'
import { reportHeld } from './held.ts'
import * as shapes from '../../api-shapes/index.ts'
import type { CohortShape, FlagState } from '../../api-shapes/index.ts'
import { cohortText, summarizeCohorts } from '../../api-shapes/audience.ts'
import { bucketingText, reshuffles, reshuffleWarning } from '../../api-shapes/bucketing-words.ts'
import { formatTable } from './table.ts'

/*
 * `canary cohorts list|add|set|remove <flag> --env E`: who gets a flag. Each change reads the
 * state, edits its cohort list and sends it back with the version it read, so a change made
 * meanwhile by someone else is refused (409) instead of overwritten.
 */

const options = {
  ...apiOptions,
  env: { type: 'string' },
  cohort: { type: 'string' },
  percent: { type: 'string' },
  segment: { type: 'string', multiple: true },
  yes: { type: 'boolean' },
  ...conditionOptions,
} as const

function setup(args: string[], io: Io, command: string) {
  const { values, positionals } = parseCommand(args, options, command)
  const key = onePositional(positionals, 'flag', command)
  const env = required(values.env, '--env <environment>', command)
  const api = createApiClient(connectionFrom(values, io.env))
  const path = apiPath`/api/v1/environments/${env}/flags/${key}`
  return { values, key, env, api, path }
}

async function readState(api: ApiClient, path: string): Promise<FlagState> {
  return expectShape(shapes.flagState, await api('GET', path), 'flag state')
}

/** The saved state, or undefined when a protected environment held the change as a request (reported). */
async function save(io: Io, json: boolean | undefined, api: ApiClient, path: string, cohorts: CohortShape[], version: number) {
  const data = await api('PATCH', path, { cohorts, version })
  if (reportHeld(io, data, json)) return undefined
  return expectShape(shapes.flagState, data, 'flag state')
}

function printCohorts(io: Io, state: FlagState) {
  if (state.cohorts.length === 0) return io.out(`${state.key} in ${state.environment}: no cohorts, so nobody gets it`)
  // Imported cohorts bucket as their source did: a column only when some cohort does.
  const imported = state.cohorts.some((c) => c.bucketing !== undefined)
  const rows = state.cohorts.map((c) => [c.name, percent(c.rollout), conditionsText(c.conditions), ...(imported ? [bucketingText(c.bucketing)] : [])])
  io.out(formatTable(['COHORT', 'ROLLOUT', 'WHO', ...(imported ? ['BUCKETING'] : [])], rows))
}

function after(io: Io, state: FlagState, name: string, verb: string) {
  const cohort = state.cohorts.find((c) => c.name === name)
  const summary = cohort ? ` (${cohortText(summarizeCohorts([cohort])[0]!)})` : ''
  io.out(`${verb} cohort ${name} of ${state.key} in ${state.environment}${summary}, version ${state.version}`)
  if (!state.enabled) io.out(`note: ${state.key} is off in ${state.environment}; turn it on with: canary flags on ${state.key} --env ${state.environment}`)
}

const list: Command = {
  synopsis: '<flag> --env E',
  summary: "a flag's cohorts in one environment: name, rollout and who",
  async run(args, io) {
    const { values, api, path } = setup(args, io, 'cohorts list')
    const data = await api('GET', path)
    if (values.json) return printJson(io, expectShape(shapes.flagState, data, 'flag state').cohorts)
    printCohorts(io, expectShape(shapes.flagState, data, 'flag state'))
  },
}

const add: Command = {
  synopsis:
    '<flag> --env E --cohort NAME [--percent P] [--attr A --op OP --values V1,V2 ...] [--segment S ...] [--negate] [--any-case] [--file conditions.json]',
  summary:
    'add a cohort: conditions from --attr/--op/--values (repeat for more; all must hold), --segment, or a JSON file; ' +
    'no conditions means everyone; --percent defaults to 100',
  async run(args, io) {
    const { values, api, path } = setup(args, io, 'cohorts add')
    const name = required(values.cohort, '--cohort <name>', 'cohorts add')
    const rollout = values.percent === undefined ? 100 : parsePercent(values.percent)
    const conditions = cohortConditions(values, 'cohorts add') ?? []
    const state = await readState(api, path)
    if (state.cohorts.some((c) => c.name === name))
      throw new CliError(`cohort ${name} already exists on ${state.key} in ${state.environment}; change it with: canary cohorts set`)
    const saved = await save(io, values.json, api, path, [...state.cohorts, { name, conditions, rollout }], state.version)
    if (!saved) return
    if (values.json) return printJson(io, saved)
    after(io, saved, name, 'added')
  },
}

const set: Command = {
  synopsis: '<flag> --env E --cohort NAME [--percent P] [--attr A --op OP --values V1,V2 ...] [--segment S ...] [--file conditions.json]',
  summary: "change a cohort: its percentage, or its conditions (given ones replace them all), or both",
  async run(args, io) {
    const { values, api, path } = setup(args, io, 'cohorts set')
    const name = required(values.cohort, '--cohort <name>', 'cohorts set')
    const rollout = values.percent === undefined ? undefined : parsePercent(values.percent)
    const conditions = cohortConditions(values, 'cohorts set')
    if (rollout === undefined && conditions === undefined)
      throw new CliError('nothing to change: pass --percent, conditions (--attr/--op/--values, --segment) or --file (see: canary cohorts set --help)')
    const state = await readState(api, path)
    if (!state.cohorts.some((c) => c.name === name))
      throw new CliError(`no cohort ${name} on ${state.key} in ${state.environment} (cohorts: ${state.cohorts.map((c) => c.name).join(', ') || 'none'})`)
    const next = state.cohorts.map((c) =>
      c.name === name ? { ...c, ...(rollout === undefined ? {} : { rollout }), ...(conditions === undefined ? {} : { conditions }) } : c,
    )
    const saved = await save(io, values.json, api, path, next, state.version)
    if (!saved) return
    if (values.json) return printJson(io, saved)
    after(io, saved, name, 'changed')
  },
}

const remove: Command = {
  synopsis: '<flag> --env E --cohort NAME',
  summary: 'remove a cohort (its users stop getting the flag unless another cohort includes them)',
  async run(args, io) {
    const { values, api, path } = setup(args, io, 'cohorts remove')
    const name = required(values.cohort, '--cohort <name>', 'cohorts remove')
    const state = await readState(api, path)
    if (!state.cohorts.some((c) => c.name === name)) throw new CliError(`no cohort ${name} on ${state.key} in ${state.environment}`)
    const saved = await save(io, values.json, api, path, state.cohorts.filter((c) => c.name !== name), state.version)
    if (!saved) return
    if (values.json) return printJson(io, saved)
    io.out(`removed cohort ${name} of ${saved.key} in ${saved.environment}, version ${saved.version}`)
  },
}

const ownBucketing: Command = {
  synopsis: '<flag> --env E --cohort NAME [--yes]',
  summary:
    "move an imported cohort (Unleash or LaunchDarkly bucketing) to this project's own bucketing; " +
    'says that it reshuffles the cohort\'s users and asks first (--yes to skip the question)',
  async run(args, io) {
    const { values, api, path } = setup(args, io, 'cohorts own-bucketing')
    const name = required(values.cohort, '--cohort <name>', 'cohorts own-bucketing')
    const state = await readState(api, path)
    const cohort = state.cohorts.find((c) => c.name === name)
    if (!cohort) throw new CliError(`no cohort ${name} on ${state.key} in ${state.environment}`)
    if (cohort.bucketing === undefined) throw new CliError(`cohort ${name} of ${state.key} already uses this project's own bucketing: nothing to change`)
    const next = state.cohorts.map(({ bucketing, ...c }) => (c.name === name ? c : { ...c, ...(bucketing ? { bucketing } : {}) }))
    // The preview: with --json, stdout is the API's answer only, so it goes to stderr.
    const say = values.json ? io.err : io.out
    say(`${reshuffleWarning(reshuffles(state.cohorts, next))}.`)
    if (!values.yes) {
      if (!io.interactive) throw new CliError('not changed: no terminal to confirm on; pass --yes to reshuffle (see above)')
      if (!isYes(await io.ask('Reshuffle? [y/N] '))) throw new CliError('not changed (not confirmed)')
    }
    const saved = expectShape(shapes.flagState, await api('PATCH', path, { cohorts: next, version: state.version, reshuffle: true }), 'flag state')
    if (values.json) return printJson(io, saved)
    io.out(`cohort ${name} of ${saved.key} in ${saved.environment} now uses this project's own bucketing (its users reshuffled), version ${saved.version}`)
  },
}

/** `canary cohorts …`. */
export const cohortCommands: CommandGroup = { list, add, set, remove, 'own-bucketing': ownBucketing }
