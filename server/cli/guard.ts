import { apiOptions, onePositional, parseCommand, required } from './args.ts'
import { reportHeld } from './held.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { guardLines, planLines, previewLines, rate, settingsLine } from './guard-text.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { isYes, printJson, type Io } from './io.ts'
import { expectShape } from './shape.ts'
import * as shapes from '../../api-shapes/index.ts'
import { isLivePlan } from '../../api-shapes/plan.ts'

/*
 * The guard and rollout plans from scripts: `canary guard set|show` and
 * `canary plan start|show|pause|resume|cancel`. Validation of the figures is the server's.
 */

const envOption = { env: { type: 'string' } } as const

function number(raw: string | undefined, option: string): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(value)) throw new CliError(`${option}: ${raw} is not a number`)
  return value
}

type OptionSpec = Record<string, { type: 'string' } | { type: 'boolean' }>

/** Parses `<key> --env E` plus `extra` options, and the API client, for one flag command. */
function flagCommand<T extends OptionSpec>(args: string[], io: Io, command: string, extra: T) {
  const parsed = parseCommand(args, { ...apiOptions, ...envOption, ...extra }, command)
  const values = parsed.values as Record<string, string | boolean | undefined>
  const key = onePositional(parsed.positionals, 'key', command)
  const env = required(values.env as string | undefined, '--env <environment>', command)
  const api = createApiClient(connectionFrom(parsed.values, io.env))
  return { key, env, api, values }
}

const set: Command = {
  synopsis:
    '<key> --env E --max-error-rate R [--min-exposures N] [--window S] [--max-ratio X] ' +
    '[--slower-than-ms MS [--max-slow-rate R] [--max-slow-ratio X]] [--evidence server|all] [--webhook URL]',
  summary:
    'turn the flag off by itself once the evidence shows its canary error rate is over R (0–1); ' +
    '--min-exposures is an optional floor before any trip, --window the span of the recent figures shown, ' +
    '--evidence server ignores browsers; --slower-than-ms (a histogram bound: 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000) ' +
    'with --max-slow-rate and/or --max-slow-ratio turns it off on slow requests too',
  async run(args, io) {
    const options = {
      'max-error-rate': { type: 'string' },
      'min-exposures': { type: 'string' },
      window: { type: 'string' },
      'max-ratio': { type: 'string' },
      'slower-than-ms': { type: 'string' },
      'max-slow-rate': { type: 'string' },
      'max-slow-ratio': { type: 'string' },
      evidence: { type: 'string' },
      webhook: { type: 'string' },
    } as const
    const { key, env, api, values } = flagCommand(args, io, 'guard set', options)
    const str = (name: keyof typeof options) => values[name] as string | undefined
    const evidence = str('evidence')
    if (evidence !== undefined && evidence !== 'server' && evidence !== 'all')
      throw new CliError(`--evidence: ${evidence} is not server or all (see: canary guard set --help)`)
    const body = {
      maxErrorRate: number(required(str('max-error-rate'), '--max-error-rate <0-1>', 'guard set'), '--max-error-rate')!,
      minExposures: number(str('min-exposures'), '--min-exposures'),
      windowSeconds: number(str('window'), '--window'),
      maxRatioToControl: number(str('max-ratio'), '--max-ratio'),
      latency: latencyOption(str('slower-than-ms'), str('max-slow-rate'), str('max-slow-ratio')),
      evidence,
      webhookUrl: str('webhook'),
    }
    const data = await api('PUT', apiPath`/api/v1/environments/${env}/flags/${key}/guard`, body)
    if (reportHeld(io, data, values.json === true)) return
    if (values.json) return printJson(io, data)
    const report = expectShape(shapes.guardSet, data, 'guard')
    io.out(`guard set on ${key} in ${env}: ${report.guard ? settingsLine(report.guard) : `off above ${rate(body.maxErrorRate)} errors`}`)
    if (report.webhookSecret !== undefined)
      io.out(`webhook signing secret: ${report.webhookSecret} (shown once: give it to the receiver; README "Verifying webhook signatures")`)
  },
}

/**
 * The latency rule from its three flags: none of them, no rule; a limit needs its bound (the
 * server says which bounds and that a bound needs a limit).
 */
function latencyOption(slowerThan: string | undefined, maxSlowRate: string | undefined, maxSlowRatio: string | undefined) {
  if (slowerThan === undefined && maxSlowRate === undefined && maxSlowRatio === undefined) return undefined
  return {
    slowerThanMs: number(required(slowerThan, '--slower-than-ms <ms>', 'guard set'), '--slower-than-ms')!,
    maxSlowRate: number(maxSlowRate, '--max-slow-rate'),
    maxSlowRatioToControl: number(maxSlowRatio, '--max-slow-ratio'),
  }
}

const show: Command = {
  synopsis: '<key> --env E',
  summary: "the guard's settings, its evidence in words (how close to a trip), recent rates, last trip and a waiting plan",
  async run(args, io) {
    const { key, env, api, values } = flagCommand(args, io, 'guard show', {})
    const data = await api('GET', apiPath`/api/v1/environments/${env}/flags/${key}/guard`)
    if (values.json) return printJson(io, data)
    const report = expectShape(shapes.guardReport, data, 'guard')
    // The guard view does not carry the plan itself; the flag state does.
    const state = await api('GET', apiPath`/api/v1/environments/${env}/flags/${key}`)
    const plan = expectShape(shapes.flagState, state, 'flag state').plan ?? null
    const live = plan && isLivePlan(plan.status) ? plan : null
    for (const line of guardLines(key, env, report, live, Date.now())) io.out(line)
  },
}

const planShow: Command = {
  synopsis: '<key> --env E',
  summary: "the rollout plan: its steps, the next one, whether it waits for evidence (with the figures) or is held",
  async run(args, io) {
    const { key, env, api, values } = flagCommand(args, io, 'plan show', {})
    const [stateData, guardData] = await Promise.all([
      api('GET', apiPath`/api/v1/environments/${env}/flags/${key}`),
      api('GET', apiPath`/api/v1/environments/${env}/flags/${key}/guard`),
    ])
    const state = expectShape(shapes.flagState, stateData, 'flag state')
    const report = expectShape(shapes.guardReport, guardData, 'guard')
    if (values.json) return printJson(io, { plan: state.plan ?? null, planProgress: report.planProgress })
    if (!state.plan) return io.out(`${key} in ${env}: no rollout plan`)
    io.out(`${key} in ${env}:`)
    for (const line of planLines(state.plan, report.planProgress, Date.now())) io.out(line)
  },
}

const start: Command = {
  synopsis:
    '<key> --env E --cohort NAME --steps 1,5,25,50,100 --interval SECONDS [--max-wait SECONDS] [--replace] [--yes] [--dry-run]',
  summary:
    'widen a cohort step by step, each step once the evidence shows the error rate is below the limit. ' +
    'Prints what will happen first (steps at or below the cohort are skipped) and asks to confirm; ' +
    'without a terminal pass --yes. --replace replaces a live plan; --dry-run only prints',
  async run(args, io) {
    const options = {
      cohort: { type: 'string' },
      steps: { type: 'string' },
      interval: { type: 'string' },
      'max-wait': { type: 'string' },
      replace: { type: 'boolean' },
      yes: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    } as const
    const { key, env, api, values } = flagCommand(args, io, 'plan start', options)
    const steps = required(values.steps as string | undefined, '--steps <p1,p2,…>', 'plan start')
      .split(',')
      .map((p) => number(p, '--steps')!)
    const body = {
      cohort: required(values.cohort as string | undefined, '--cohort <name>', 'plan start'),
      steps,
      intervalSeconds: number(required(values.interval as string | undefined, '--interval <seconds>', 'plan start'), '--interval')!,
      maxWaitSeconds: number(values['max-wait'] as string | undefined, '--max-wait'),
    }
    const path = apiPath`/api/v1/environments/${env}/flags/${key}/plan`
    // The version the preview describes: if the flag changes before the start, the server says 409.
    const { version } = expectShape(shapes.flagState, await api('GET', apiPath`/api/v1/environments/${env}/flags/${key}`), 'flag state')
    const previewData = await api('POST', `${path}/preview`, body)
    const preview = expectShape(shapes.planPreview, previewData, 'plan preview')
    if (values['dry-run']) {
      if (values.json) return printJson(io, previewData)
      for (const line of previewLines(key, env, preview)) io.out(line)
      return io.out('dry run: nothing started')
    }
    // With --json, stdout is the API's answer only; the preview goes to stderr.
    const say = values.json ? io.err : io.out
    for (const line of previewLines(key, env, preview)) say(line)
    if (preview.steps.length === 0)
      throw new CliError(`not started: every step is at or below cohort ${preview.cohort}'s current ${preview.from}%; a plan never narrows a cohort`)
    if (preview.replaces && !values.replace)
      throw new CliError(
        `not started: ${key} in ${env} already has a plan on cohort ${preview.replaces.cohort} (${preview.replaces.status}); pass --replace to replace it`,
      )
    if (!values.yes) {
      if (!io.interactive)
        throw new CliError('not started: no terminal to confirm on; pass --yes to start this plan (see above)')
      const question = preview.replaces ? 'Replace the plan and start this one? [y/N] ' : 'Start this plan? [y/N] '
      if (!isYes(await io.ask(question))) throw new CliError('not started (not confirmed)')
    }
    const data = await api('PUT', path, { ...body, ...(preview.replaces ? { replace: true } : {}), version })
    if (reportHeld(io, data, values.json === true)) return
    if (values.json) return printJson(io, data)
    const started = expectShape(shapes.flagState, data, 'flag state').plan
    const run = started?.steps ?? [preview.startsAt, ...preview.steps]
    io.out(
      `plan ${preview.replaces ? 'replaced' : 'started'} on ${key} in ${env}: cohort ${body.cohort} ${preview.summary ?? `at ${run[0]}%`}` +
        (preview.skipped.length ? ` (skipped ${preview.skipped.join('%, ')}%)` : ''),
    )
  },
}

function planAction(action: 'pause' | 'resume' | 'cancel'): Command {
  return {
    synopsis: '<key> --env E',
    summary: action === 'resume' ? 'resume a paused or held rollout plan' : `${action} the flag's rollout plan`,
    async run(args, io) {
      const { key, env, api, values } = flagCommand(args, io, `plan ${action}`, {})
      const data = await api('POST', apiPath`/api/v1/environments/${env}/flags/${key}/plan/${action}`)
      if (reportHeld(io, data, values.json === true)) return
      if (values.json) return printJson(io, data)
      const plan = expectShape(shapes.flagState, data, 'flag state').plan
      if (!plan) throw new CliError(`unexpected flag state from the server (plan: missing)`)
      io.out(`plan of ${key} in ${env}: ${plan.status} at ${plan.steps[plan.step]}%`)
    },
  }
}

export const guardCommands: CommandGroup = { set, show }
export const planCommands: CommandGroup = {
  start,
  show: planShow,
  pause: planAction('pause'),
  resume: planAction('resume'),
  cancel: planAction('cancel'),
}
