import { apiOptions, onePositional, parseCommand, required } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { printJson, type Io } from './io.ts'

/*
 * The guard and rollout plans from scripts: `canary guard set|show` and
 * `canary plan start|pause|resume|cancel`. Validation of the figures is the server's.
 */

const envOption = { env: { type: 'string' } } as const

function number(raw: string | undefined, option: string): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(value)) throw new CliError(`${option}: ${raw} is not a number`)
  return value
}

/** Parses `<key> --env E` plus `extra` options, and the API client, for one flag command. */
function flagCommand<T extends Record<string, { type: 'string' }>>(args: string[], io: Io, command: string, extra: T) {
  const parsed = parseCommand(args, { ...apiOptions, ...envOption, ...extra }, command)
  const values = parsed.values as Record<string, string | boolean | undefined>
  const key = onePositional(parsed.positionals, 'key', command)
  const env = required(values.env as string | undefined, '--env <environment>', command)
  const api = createApiClient(connectionFrom(parsed.values, io.env))
  return { key, env, api, values }
}

const set: Command = {
  synopsis: '<key> --env E --max-error-rate R --min-exposures N --window S [--max-ratio X] [--webhook URL]',
  summary: 'turn the flag off by itself when its canary error rate goes over R (0–1)',
  async run(args, io) {
    const options = {
      'max-error-rate': { type: 'string' },
      'min-exposures': { type: 'string' },
      window: { type: 'string' },
      'max-ratio': { type: 'string' },
      webhook: { type: 'string' },
    } as const
    const { key, env, api, values } = flagCommand(args, io, 'guard set', options)
    const str = (name: keyof typeof options) => values[name] as string | undefined
    const body = {
      maxErrorRate: number(required(str('max-error-rate'), '--max-error-rate <0-1>', 'guard set'), '--max-error-rate'),
      minExposures: number(required(str('min-exposures'), '--min-exposures <n>', 'guard set'), '--min-exposures'),
      windowSeconds: number(required(str('window'), '--window <seconds>', 'guard set'), '--window'),
      maxRatioToControl: number(str('max-ratio'), '--max-ratio'),
      webhookUrl: str('webhook'),
    }
    const data = await api('PUT', apiPath`/api/v1/environments/${env}/flags/${key}/guard`, body)
    if (values.json) return printJson(io, data)
    io.out(`guard set on ${key} in ${env}: off above ${body.maxErrorRate! * 100}% errors (95% confidence)`)
  },
}

const show: Command = {
  synopsis: '<key> --env E',
  summary: "the guard's settings, current window and last trip",
  async run(args, io) {
    const { key, env, api, values } = flagCommand(args, io, 'guard show', {})
    const data = (await api('GET', apiPath`/api/v1/environments/${env}/flags/${key}/guard`)) as {
      status: string
      decision: { figures: Record<string, number | null> } | null
      guard: { lastTrip?: { at: number; rule: string } | null } | null
    }
    if (values.json) return printJson(io, data)
    io.out(`${key} in ${env}: ${data.status}`)
    const f = data.decision?.figures
    if (f)
      io.out(
        `window ${f.windowSeconds}s: canary ${f.canaryErrors}/${f.canaryExposures} errors, control ${f.controlErrors}/${f.controlExposures}`,
      )
    const trip = data.guard?.lastTrip
    if (trip) io.out(`last trip: ${new Date(trip.at).toISOString()} (${trip.rule})`)
  },
}

const start: Command = {
  synopsis: '<key> --env E --cohort NAME --steps 1,5,25,50,100 --interval SECONDS',
  summary: 'widen a cohort step by step, advancing only while the guard is healthy',
  async run(args, io) {
    const options = { cohort: { type: 'string' }, steps: { type: 'string' }, interval: { type: 'string' } } as const
    const { key, env, api, values } = flagCommand(args, io, 'plan start', options)
    const steps = required(values.steps as string | undefined, '--steps <p1,p2,…>', 'plan start')
      .split(',')
      .map((p) => number(p, '--steps')!)
    const body = {
      cohort: required(values.cohort as string | undefined, '--cohort <name>', 'plan start'),
      steps,
      intervalSeconds: number(required(values.interval as string | undefined, '--interval <seconds>', 'plan start'), '--interval'),
    }
    const data = await api('PUT', apiPath`/api/v1/environments/${env}/flags/${key}/plan`, body)
    if (values.json) return printJson(io, data)
    io.out(`plan started on ${key} in ${env}: cohort ${body.cohort} at ${steps[0]}%, then ${steps.slice(1).join('%, ')}%`)
  },
}

function planAction(action: 'pause' | 'resume' | 'cancel'): Command {
  return {
    synopsis: '<key> --env E',
    summary: `${action} the flag's rollout plan`,
    async run(args, io) {
      const { key, env, api, values } = flagCommand(args, io, `plan ${action}`, {})
      const data = (await api('POST', apiPath`/api/v1/environments/${env}/flags/${key}/plan/${action}`)) as {
        plan: { status: string; step: number; steps: number[] }
      }
      if (values.json) return printJson(io, data)
      io.out(`plan of ${key} in ${env}: ${data.plan.status} at ${data.plan.steps[data.plan.step]}%`)
    },
  }
}

export const guardCommands: CommandGroup = { set, show }
export const planCommands: CommandGroup = {
  start,
  pause: planAction('pause'),
  resume: planAction('resume'),
  cancel: planAction('cancel'),
}
