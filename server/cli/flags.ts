import { apiOptions, noPositionals, onePositional, parseCommand } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { show } from './flag-show.ts'
import { flagStateCommands } from './flag-state.ts'
import { percent } from './format.ts'
import { connectionFrom, createApiClient } from './http.ts'
import { printJson } from './io.ts'
import { expectShape, flagDetail, flagList, type StateSummaryView } from './responses.ts'
import { formatTable, truncate } from './table.ts'

/**
 * `on (max 25%)`, `on, no cohorts` (on, yet nobody is in), `off`, `-` (no state). "max" because
 * the API sums a state up by its widest cohort, which may be a 100% beta-user list.
 */
function stateCell(summary: StateSummaryView | undefined): string {
  if (!summary) return '-'
  if (!summary.enabled) return 'off'
  return summary.cohorts === 0 ? 'on, no cohorts' : `on (max ${percent(summary.widestRollout)})`
}

const describe = (description: string) => truncate(description, 60)

const list: Command = {
  synopsis: '[--env E]',
  summary: 'list flags with their state in every environment (or in one)',
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { ...apiOptions, env: { type: 'string' } },
      'flags list',
    )
    noPositionals(positionals, 'flags list')
    const api = createApiClient(connectionFrom(values, io.env))
    const data = await api('GET', '/api/v1/flags')
    if (values.json) return printJson(io, data)
    const { items } = expectShape(flagList, data, 'flag list')
    if (items.length === 0)
      return io.out('no flags yet; create one with: canary flags create <key>')
    const env = values.env
    if (env === undefined) {
      const envs = [...new Set(items.flatMap((f) => Object.keys(f.environments)))]
      const header = ['KEY', ...envs.map((e) => e.toUpperCase()), 'DESCRIPTION']
      const rows = items.map((f) => [
        f.key,
        ...envs.map((e) => stateCell(f.environments[e])),
        describe(f.description),
      ])
      return io.out(formatTable(header, rows))
    }
    // Every live flag has a state in every environment, so no match means no such environment.
    if (!items.some((f) => f.environments[env])) throw new CliError(`environment ${env} not found`)
    const rows = items.map((f) => {
      const s = f.environments[env]
      if (!s) return [f.key, '-', '-', '-', '-', describe(f.description)]
      const widest = s.cohorts === 0 ? '-' : percent(s.widestRollout)
      const state = s.enabled ? 'on' : 'off'
      return [f.key, state, String(s.cohorts), widest, String(s.version), describe(f.description)]
    })
    const header = ['KEY', 'STATE', 'COHORTS', 'MAX ROLLOUT', 'VERSION', 'DESCRIPTION']
    io.out(formatTable(header, rows))
  },
}

const create: Command = {
  synopsis: '<key> [--description D] [--tag T ...] [--client-side]',
  summary: 'create a flag; it starts off, with no cohorts, in every environment (hidden from client keys unless --client-side)',
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        ...apiOptions,
        description: { type: 'string' },
        tag: { type: 'string', multiple: true },
        'client-side': { type: 'boolean' },
      },
      'flags create',
    )
    const key = onePositional(positionals, 'key', 'flags create')
    const api = createApiClient(connectionFrom(values, io.env))
    const data = await api('POST', '/api/v1/flags', {
      key,
      ...(values.description === undefined ? {} : { description: values.description }),
      ...(values.tag === undefined ? {} : { tags: values.tag }),
      ...(values['client-side'] === true ? { clientSide: true } : {}),
    })
    if (values.json) return printJson(io, data)
    const flag = expectShape(flagDetail, data, 'flag')
    const envs = flag.states.map((s) => s.environment).join(', ')
    io.out(`created flag ${flag.key} (off in ${envs || 'no environment yet'})`)
  },
}

const visibility: Command = {
  synopsis: '<key> on|off',
  summary: 'make a flag visible to client (browser) keys, or hide it from them (all environments)',
  async run(args, io) {
    const { values, positionals } = parseCommand(args, apiOptions, 'flags client-side')
    const [key, setting, ...extra] = positionals
    if (key === undefined || (setting !== 'on' && setting !== 'off') || extra.length > 0)
      throw new CliError('usage: canary flags client-side <key> on|off', 2)
    const api = createApiClient(connectionFrom(values, io.env))
    const data = await api('PATCH', `/api/v1/flags/${encodeURIComponent(key)}`, { clientSide: setting === 'on' })
    if (values.json) return printJson(io, data)
    io.out(`flag ${key} is ${setting === 'on' ? 'visible to' : 'hidden from'} client keys`)
  },
}

/** `canary flags …`: create, inspect and switch flags. */
export const flagCommands: CommandGroup = { list, show, create, 'client-side': visibility, ...flagStateCommands }
