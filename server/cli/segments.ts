import { apiOptions, noPositionals, onePositional, parseCommand, required } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { attributeConditions, conditionOptions, readJsonFile } from './conditions.ts'
import { CliError } from './errors.ts'
import { conditionsText } from '../../api-shapes/audience.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { printJson, type Io } from './io.ts'
import { expectShape } from './shape.ts'
import * as shapes from '../../api-shapes/index.ts'
import type { SegmentShape } from '../../api-shapes/index.ts'
import { formatFields, formatTable } from './table.ts'

/** `canary segments list|show|create|set|remove`: named audiences many flags can use. */

const options = {
  ...apiOptions,
  env: { type: 'string' },
  description: { type: 'string' },
  users: { type: 'string' },
  ...conditionOptions,
} as const

function setup(args: string[], io: Io, command: string) {
  const { values, positionals } = parseCommand(args, options, command)
  const env = required(values.env, '--env <environment>', command)
  const api = createApiClient(connectionFrom(values, io.env))
  return { values, positionals, env, api, base: apiPath`/api/v1/environments/${env}/segments` }
}

const who = (s: SegmentShape) =>
  [s.userIds.length ? `${s.userIds.length} listed user${s.userIds.length === 1 ? '' : 's'}` : '', s.conditions.length ? conditionsText(s.conditions) : '']
    .filter(Boolean)
    .join(' or ') || 'nobody'

/** The body of a create or replace, from options or `--file` (a segment object). */
function segmentBody(key: string, values: ReturnType<typeof setup>['values'], command: string) {
  const file = values.file === undefined ? {} : (readJsonFile(values.file) as Record<string, unknown>)
  const conditions = attributeConditions(values, command)
  return {
    ...file,
    key,
    ...(values.description === undefined ? {} : { description: values.description }),
    ...(values.users === undefined ? {} : { userIds: values.users.split(',').map((u) => u.trim()).filter(Boolean) }),
    ...(conditions === undefined ? {} : { conditions }),
  }
}

const list: Command = {
  synopsis: '--env E',
  summary: 'segments of one environment and who is in each',
  async run(args, io) {
    const { values, positionals, api, base } = setup(args, io, 'segments list')
    noPositionals(positionals, 'segments list')
    const data = await api('GET', base)
    if (values.json) return printJson(io, data)
    const { items } = expectShape(shapes.segmentList, data, 'segment list')
    if (items.length === 0) return io.out('no segments yet; create one with: canary segments create <key> --env E --users a,b')
    io.out(formatTable(['SEGMENT', 'WHO', 'DESCRIPTION'], items.map((s) => [s.key, who(s), s.description ?? ''])))
  },
}

const show: Command = {
  synopsis: '<key> --env E',
  summary: 'one segment: its users and conditions',
  async run(args, io) {
    const { values, positionals, api, base } = setup(args, io, 'segments show')
    const key = onePositional(positionals, 'key', 'segments show')
    const data = await api('GET', `${base}/${encodeURIComponent(key)}`)
    if (values.json) return printJson(io, data)
    const s = expectShape(shapes.segment, data, 'segment')
    io.out(
      formatFields([
        ['segment', s.key],
        ['description', s.description || '-'],
        ['users', s.userIds.join(', ') || '-'],
        ['conditions', s.conditions.length ? conditionsText(s.conditions) : '-'],
        ['version', String(s.version)],
      ]),
    )
  },
}

const create: Command = {
  synopsis: '<key> --env E [--description D] [--users a,b,c] [--attr A --op OP --values V1,V2 ...] [--file segment.json]',
  summary: 'create a segment: listed user ids, or users matching all the conditions',
  async run(args, io) {
    const { values, positionals, api, base } = setup(args, io, 'segments create')
    const key = onePositional(positionals, 'key', 'segments create')
    const body = { userIds: [], conditions: [], ...segmentBody(key, values, 'segments create') }
    const data = await api('POST', base, body)
    if (values.json) return printJson(io, data)
    const s = expectShape(shapes.segment, data, 'segment')
    io.out(`created segment ${s.key}: ${who(s)}`)
  },
}

const set: Command = {
  synopsis: '<key> --env E [--description D] [--users a,b,c] [--attr A --op OP --values V1,V2 ...] [--file segment.json]',
  summary: "change a segment: what is given replaces that part (users, conditions, description); flags using it follow",
  async run(args, io) {
    const { values, positionals, api, base } = setup(args, io, 'segments set')
    const key = onePositional(positionals, 'key', 'segments set')
    const path = `${base}/${encodeURIComponent(key)}`
    const current = expectShape(shapes.segment, await api('GET', path), 'segment')
    const change = segmentBody(key, values, 'segments set')
    if (Object.keys(change).length === 1) throw new CliError('nothing to change: pass --users, conditions, --description or --file (see: canary segments set --help)')
    const { version, ...rest } = current
    const data = await api('PUT', path, { ...rest, ...change, version })
    if (values.json) return printJson(io, data)
    const s = expectShape(shapes.segment, data, 'segment')
    io.out(`changed segment ${s.key}: ${who(s)} (version ${s.version})`)
  },
}

const remove: Command = {
  synopsis: '<key> --env E',
  summary: 'delete a segment no flag uses (the server names the flags that still do)',
  async run(args, io) {
    const { values, positionals, api, base } = setup(args, io, 'segments remove')
    const key = onePositional(positionals, 'key', 'segments remove')
    await api('DELETE', `${base}/${encodeURIComponent(key)}`)
    if (values.json) return printJson(io, { deleted: key })
    io.out(`deleted segment ${key}`)
  },
}

export const segmentCommands: CommandGroup = { list, show, create, set, remove }
