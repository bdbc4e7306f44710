import { apiOptions, onePositional, parseCommand } from './args.ts'
import type { Command } from './command.ts'
import { describeConditions, percent } from './format.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { printJson, type Io } from './io.ts'
import { expectShape, flagDetail, flagState, type FlagStateView } from './responses.ts'
import { formatFields, formatTable } from './table.ts'

const onOff = (enabled: boolean) => (enabled ? 'on' : 'off')

function printState(io: Io, state: FlagStateView) {
  io.out(
    formatFields([
      ['flag', state.key],
      ['environment', state.environment],
      ['state', onOff(state.enabled)],
      ['stickiness', state.stickiness],
      ['salt', state.salt],
      ['version', String(state.version)],
    ]),
  )
  io.out('')
  if (state.cohorts.length === 0) return io.out('no cohorts: nobody gets this flag even when on')
  const rows = state.cohorts.map((c) => [
    c.name,
    percent(c.rollout),
    describeConditions(c.conditions),
  ])
  io.out(formatTable(['COHORT', 'ROLLOUT', 'WHO'], rows))
}

/** `flags show <key> [--env E]`: one environment in detail, or the definition and all of them. */
export const show: Command = {
  synopsis: '<key> [--env E]',
  summary: 'show a flag: all environments, or one in detail with its cohorts',
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { ...apiOptions, env: { type: 'string' } },
      'flags show',
    )
    const key = onePositional(positionals, 'key', 'flags show')
    const api = createApiClient(connectionFrom(values, io.env))
    if (values.env !== undefined) {
      const data = await api('GET', apiPath`/api/v1/environments/${values.env}/flags/${key}`)
      if (values.json) return printJson(io, data)
      return printState(io, expectShape(flagState, data, 'flag state'))
    }
    const data = await api('GET', apiPath`/api/v1/flags/${key}`)
    if (values.json) return printJson(io, data)
    const flag = expectShape(flagDetail, data, 'flag')
    io.out(
      formatFields([
        ['flag', flag.key],
        ['description', flag.description || '-'],
        ['tags', flag.tags.join(', ') || '-'],
      ]),
    )
    io.out('')
    const rows = flag.states.map((s) => [
      s.environment,
      onOff(s.enabled),
      String(s.version),
      s.cohorts.map((c) => `${c.name} ${percent(c.rollout)}`).join(', ') || '-',
    ])
    io.out(formatTable(['ENVIRONMENT', 'STATE', 'VERSION', 'COHORTS'], rows))
  },
}
