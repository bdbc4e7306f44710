import { apiOptions, noPositionals, onePositional, parseCommand } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { show } from './flag-show.ts'
import { flagStateCommands } from './flag-state.ts'
import { timestamp } from './format.ts'
import { audienceText, GUARD_HEALTH_TEXT, planStepText } from '../../api-shapes/audience.ts'
import { connectionFrom, createApiClient } from './http.ts'
import { printJson } from './io.ts'
import { expectShape } from './shape.ts'
import * as shapes from '../../api-shapes/index.ts'
import { allPages } from '../../api-shapes/pages.ts'
import type { FlagListItem, StateSummary as StateSummaryView } from '../../api-shapes/index.ts'
import { environmentKeys, hintFrom } from './known-environments.ts'
import { formatTable, truncate } from './table.ts'

const describe = (description: string) => truncate(description, 60)

/** The next step's time, when a plan is active and says when. */
const planCell = (plan: StateSummaryView['plan'], cohorts: StateSummaryView['audience']) =>
  plan === null ? '-' : `${planStepText(plan, cohorts)}${plan.status === 'active' && plan.nextAt !== null ? `, next ${timestamp(plan.nextAt)}` : ''}`

/** The flag with its state in `env` alone (`flags list --env E --json`). */
const onlyIn = <F extends { environments: Record<string, unknown> }>(flag: F, env: string): F => ({
  ...flag,
  environments: Object.fromEntries(Object.entries(flag.environments).filter(([e]) => e === env)),
})

/**
 * Every live flag has a state in every environment, so an environment no flag has does not
 * exist (with no flags at all, the environments list says). The error names those that do.
 */
async function checkEnvironment(env: string, items: FlagListItem[], get: (path: string) => Promise<unknown>) {
  if (items.some((f) => f.environments[env])) return
  const known = await environmentKeys(get)
  if (known?.includes(env)) return
  throw new CliError(`environment ${env} not found${hintFrom(known)}`)
}

const list: Command = {
  synopsis: '[--env E]',
  summary:
    'list flags: per environment whether on, who gets it (cohort by cohort), the guard in words, the plan step, and whether browsers see it',
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { ...apiOptions, env: { type: 'string' } },
      'flags list',
    )
    noPositionals(positionals, 'flags list')
    const api = createApiClient(connectionFrom(values, io.env))
    // Every page, each checked as it comes. --json prints the items as the server sent them
    // (fields this CLI does not know included), the whole list as one last page.
    const items = await allPages('/api/v1/flags', async (path) => {
      const data = await api('GET', path)
      const page = expectShape(shapes.flagList, data, 'flag list')
      return values.json ? { ...page, items: (data as typeof page).items } : page
    })
    const env = values.env
    if (env !== undefined) await checkEnvironment(env, items, (path) => api('GET', path))
    if (values.json) return printJson(io, { items: env === undefined ? items : items.map((f) => onlyIn(f, env)), nextCursor: null })
    if (items.length === 0)
      return io.out('no flags yet; create one with: canary flags create <key>')
    const rows = items.flatMap((f) =>
      Object.entries(f.environments)
        .filter(([e]) => env === undefined || e === env)
        .map(([e, s]) => [
          f.key,
          e,
          s.enabled ? 'on' : 'off',
          audienceText(s.audience),
          GUARD_HEALTH_TEXT[s.guard] ?? s.guard,
          planCell(s.plan, s.audience),
          f.clientSide ? 'yes' : 'no',
          describe(f.description),
        ]),
    )
    const header = ['KEY', 'ENVIRONMENT', 'STATE', 'WHO GETS IT', 'GUARD', 'PLAN', 'BROWSERS', 'DESCRIPTION']
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
    const flag = expectShape(shapes.flagDetail, data, 'flag')
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
