import { apiOptions, onePositional, parseCommand } from './args.ts'
import type { Command } from './command.ts'
import { percent } from './format.ts'
import { conditionsText } from '../../api-shapes/audience.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { printJson, type Io } from './io.ts'
import { guardLines } from './guard-text.ts'
import { audienceText, planStepText, summarizeCohorts } from '../../api-shapes/audience.ts'
import { expectShape } from './shape.ts'
import * as shapes from '../../api-shapes/index.ts'
import { isLivePlan } from '../../api-shapes/plan.ts'
import type { FlagState as FlagStateView, GuardReport as GuardReportView } from '../../api-shapes/index.ts'
import { planDrift } from '../../api-shapes/plan-drift.ts'
import { formatFields, formatTable } from './table.ts'

const onOff = (enabled: boolean) => (enabled ? 'on' : 'off')

function printState(io: Io, state: FlagStateView, report: GuardReportView) {
  io.out(
    formatFields([
      ['flag', state.key],
      ['environment', state.environment],
      ['state', onOff(state.enabled)],
      ['browsers', state.clientSide ? 'visible to client keys (client-side)' : 'hidden from client keys'],
      ['stickiness', state.stickiness],
      ['salt', state.salt],
      ['version', String(state.version)],
    ]),
  )
  io.out('')
  if (state.cohorts.length === 0) io.out('no cohorts: nobody gets this flag even when on')
  else {
    const rows = state.cohorts.map((c) => [c.name, percent(c.rollout), conditionsText(c.conditions)])
    io.out(formatTable(['COHORT', 'ROLLOUT', 'WHO'], rows))
  }
  io.out('')
  const plan = state.plan && isLivePlan(state.plan.status) ? state.plan : null
  for (const line of guardLines(state.key, state.environment, report, plan, Date.now())) io.out(line)
  if (state.plan && !plan) io.out(`last plan: ${state.plan.status} on cohort ${state.plan.cohort}${state.plan.note ? ` (${state.plan.note})` : ''}`)
  // A plan whose cohort was changed by hand afterwards no longer describes it: say so.
  const drift = state.plan ? planDrift(state.plan, state.cohorts) : undefined
  if (drift) io.out(`  but ${drift}`)
}

/** `flags show <key> [--env E]`: one environment in detail, or the definition and all of them. */
export const show: Command = {
  synopsis: '<key> [--env E]',
  summary: 'show a flag: all environments, or one in detail: cohorts, browsers, the guard with its evidence, and the plan',
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { ...apiOptions, env: { type: 'string' } },
      'flags show',
    )
    const key = onePositional(positionals, 'key', 'flags show')
    const api = createApiClient(connectionFrom(values, io.env))
    if (values.env !== undefined) {
      const [data, guard] = await Promise.all([
        api('GET', apiPath`/api/v1/environments/${values.env}/flags/${key}`),
        api('GET', apiPath`/api/v1/environments/${values.env}/flags/${key}/guard`),
      ])
      if (values.json) return printJson(io, { ...(data as object), guardReport: guard })
      return printState(io, expectShape(shapes.flagState, data, 'flag state'), expectShape(shapes.guardReport, guard, 'guard'))
    }
    const data = await api('GET', apiPath`/api/v1/flags/${key}`)
    if (values.json) return printJson(io, data)
    const flag = expectShape(shapes.flagDetail, data, 'flag')
    io.out(
      formatFields([
        ['flag', flag.key],
        ['description', flag.description || '-'],
        ['tags', flag.tags.join(', ') || '-'],
        ['browsers', flag.clientSide ? 'visible to client keys (client-side)' : 'hidden from client keys'],
      ]),
    )
    io.out('')
    const rows = flag.states.map((s) => [
      s.environment,
      onOff(s.enabled),
      String(s.version),
      audienceText(summarizeCohorts(s.cohorts)),
      s.plan ? planStepText({ ...s.plan }) : '-',
    ])
    io.out(formatTable(['ENVIRONMENT', 'STATE', 'VERSION', 'WHO GETS IT', 'PLAN'], rows))
    io.out('')
    io.out(`guard, evidence and plan of one environment: canary flags show ${flag.key} --env <environment>`)
  },
}
