import { apiOptions, onePositional, parseCommand, required } from './args.ts'
import type { Command } from './command.ts'
import { CliError } from './errors.ts'
import { percent } from './format.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { printJson, type Io } from './io.ts'
import { expectShape } from './shape.ts'
import { reportHeld } from './held.ts'
import { notAPercentage } from '../../api-shapes/percent.ts'
import * as shapes from '../../api-shapes/index.ts'

/*
 * The changes scripts make: on, off, one cohort's rollout. They send no version, so they apply
 * to whatever state is current (the API allows this for scripts; the console always sends one).
 */

const envOption = { env: { type: 'string' } } as const

function switchCommand(enabled: boolean): Command {
  const command = enabled ? 'flags on' : 'flags off'
  return {
    synopsis: '<key> --env E',
    summary: enabled ? 'turn a flag on in one environment' : 'turn a flag off (the kill switch)',
    async run(args, io) {
      const { values, positionals } = parseCommand(args, { ...apiOptions, ...envOption }, command)
      const key = onePositional(positionals, 'key', command)
      const env = required(values.env, '--env <environment>', command)
      const api = createApiClient(connectionFrom(values, io.env))
      const path = apiPath`/api/v1/environments/${env}/flags/${key}`
      const data = await api('PATCH', path, { enabled })
      if (reportHeld(io, data, values.json)) return
      if (values.json) return printJson(io, data)
      const state = expectShape(shapes.flagStateWrite, data, 'flag state')
      // Idempotent, so incident scripts may run it twice: the second run changes nothing, exit 0.
      const word = enabled ? 'on' : 'off'
      if (state.changed) io.out(`${key} is ${word} in ${env} (version ${state.version})`)
      else io.out(`${key} is already ${word} in ${env} (version ${state.version}): nothing changed`)
      if (enabled && state.cohorts.length === 0)
        io.out(`note: ${key} has no cohorts in ${env} yet, so it is still off for every user`)
    },
  }
}

/** 0–100; finer checks (at most 3 decimals) are the server's, so both stay in one place. */
export function parsePercent(raw: string): number {
  const value = Number(raw.replace(/%$/, ''))
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100)
    throw new CliError(`--percent: ${notAPercentage(raw)}`)
  return value
}

const rollout: Command = {
  synopsis: '<key> --env E --cohort NAME --percent P',
  summary: "set one cohort's rollout percentage (users already in stay in when it widens)",
  async run(args, io: Io) {
    const { values, positionals } = parseCommand(
      args,
      { ...apiOptions, ...envOption, cohort: { type: 'string' }, percent: { type: 'string' } },
      'flags rollout',
    )
    const key = onePositional(positionals, 'key', 'flags rollout')
    const env = required(values.env, '--env <environment>', 'flags rollout')
    const cohort = required(values.cohort, '--cohort <name>', 'flags rollout')
    const percentage = parsePercent(required(values.percent, '--percent <0-100>', 'flags rollout'))
    const api = createApiClient(connectionFrom(values, io.env))
    const path = apiPath`/api/v1/environments/${env}/flags/${key}/cohorts/${cohort}/rollout`
    const data = await api('PUT', path, { rollout: percentage })
    if (reportHeld(io, data, values.json)) return
    if (values.json) return printJson(io, data)
    const state = expectShape(shapes.flagState, data, 'flag state')
    const version = `version ${state.version}`
    io.out(`${key} in ${env}: cohort ${cohort} at ${percent(percentage)} (${version})`)
    if (!state.enabled)
      io.out(`note: ${key} is off in ${env}; turn it on with: canary flags on ${key} --env ${env}`)
  },
}

export const flagStateCommands = { on: switchCommand(true), off: switchCommand(false), rollout }
