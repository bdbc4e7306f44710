import { apiOptions, noPositionals, onePositional, parseCommand } from './args.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { timestamp } from './format.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { printJson, type Io } from './io.ts'
import { expectShape } from './shape.ts'
import { formatTable } from './table.ts'
import {
  approvalsInWords,
  approvalsMissing,
  CHANGE_REQUEST_STATUSES,
  changeRequest,
  changeRequestList,
  type ChangeRequest,
} from '../../api-shapes/change-requests.ts'

/*
 * `canary requests list|show|approve|reject|withdraw|apply`: the review of writes that protected
 * environments hold as change requests. Who may approve is the server's answer, never the CLI's.
 */

/** A request's state in words: what it waits for, or what became of it. */
function statusText(r: ChangeRequest): string {
  switch (r.status) {
    case 'open':
      return `open, needs ${approvalsInWords(approvalsMissing(r))}`
    case 'approved':
      return r.applyAt === null ? 'approved' : `approved, applies ${timestamp(r.applyAt)}`
    case 'applied':
      return `applied (version ${r.appliedVersion ?? '?'})`
    default:
      return `${r.status} by ${r.decidedBy ?? '?'}`
  }
}

/** The proposed change in one line, field by field against the base version. */
const diffText = (r: ChangeRequest) => r.diff.map((d) => `${d.field}: ${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}`)

function printRequest(io: Io, r: ChangeRequest): void {
  io.out(`change request #${r.id}: ${r.flag} in ${r.environment}, ${statusText(r)}`)
  io.out(`proposed by ${r.author} at ${timestamp(r.createdAt)}, against version ${r.baseVersion}`)
  for (const line of diffText(r)) io.out(`  ${line}`)
  io.out(`approvals (${r.approvals.length} of ${r.approvalsRequired}): ${r.approvals.map((a) => a.actor).join(', ') || 'none yet'}`)
  for (const c of r.comments) io.out(`  ${timestamp(c.at)} ${c.actor}: ${c.text}`)
}

const list: Command = {
  synopsis: '[--status S] [--env E] [--flag F]',
  summary: `change requests, newest first; --status one of ${CHANGE_REQUEST_STATUSES.join(', ')}`,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { ...apiOptions, status: { type: 'string' }, env: { type: 'string' }, flag: { type: 'string' } },
      'requests list',
    )
    noPositionals(positionals, 'requests list')
    if (values.status !== undefined && !(CHANGE_REQUEST_STATUSES as readonly string[]).includes(values.status))
      throw new CliError(`--status: ${values.status} is not one of ${CHANGE_REQUEST_STATUSES.join(', ')}`)
    const query = new URLSearchParams({ limit: '200' })
    for (const name of ['status', 'env', 'flag'] as const) if (values[name] !== undefined) query.set(name, values[name])
    const api = createApiClient(connectionFrom(values, io.env))
    const data = await api('GET', `/api/v1/change-requests?${query}`)
    if (values.json) return printJson(io, data)
    const { items } = expectShape(changeRequestList, data, 'change request list')
    if (items.length === 0) return io.out('no change requests for this filter')
    const rows = items.map((r) => [`#${r.id}`, r.environment, r.flag, r.author, statusText(r), diffText(r).join('; ').slice(0, 60)])
    io.out(formatTable(['ID', 'ENVIRONMENT', 'FLAG', 'AUTHOR', 'STATUS', 'CHANGE'], rows))
  },
}

/** `#12` or `12`: the request id a command acts on. */
function requestId(raw: string): string {
  const id = raw.replace(/^#/, '')
  if (!/^[1-9]\d{0,15}$/.test(id)) throw new CliError(`<id>: ${raw} is not a change request number`)
  return id
}

/** A command that posts to one request (`approve`, `reject`, `withdraw`) and prints the result. */
function action(verb: 'approve' | 'reject' | 'withdraw', summary: string): Command {
  const command = `requests ${verb}`
  return {
    synopsis: verb === 'withdraw' ? '<id>' : '<id> [--comment TEXT]',
    summary,
    async run(args, io) {
      const { values, positionals } = parseCommand(args, { ...apiOptions, comment: { type: 'string' } }, command)
      const id = requestId(onePositional(positionals, 'id', command))
      if (verb === 'withdraw' && values.comment !== undefined) throw new CliError(`--comment: not taken by ${command}`)
      const api = createApiClient(connectionFrom(values, io.env))
      const body = values.comment === undefined ? {} : { comment: values.comment }
      const data = await api('POST', apiPath`/api/v1/change-requests/${id}/${verb}`, body)
      if (values.json) return printJson(io, data)
      const r = expectShape(changeRequest, data, 'change request')
      io.out(`change request #${r.id} (${r.flag} in ${r.environment}): ${statusText(r)}`)
    },
  }
}

const show: Command = {
  synopsis: '<id>',
  summary: 'one change request: the change against its base version, approvals, comments',
  async run(args, io) {
    const { values, positionals } = parseCommand(args, apiOptions, 'requests show')
    const id = requestId(onePositional(positionals, 'id', 'requests show'))
    const api = createApiClient(connectionFrom(values, io.env))
    const data = await api('GET', apiPath`/api/v1/change-requests/${id}`)
    if (values.json) return printJson(io, data)
    printRequest(io, expectShape(changeRequest, data, 'change request'))
  },
}

const apply: Command = {
  synopsis: '<id> [--at 2026-05-04T09:00:00Z]',
  summary: 'apply an approved request now, or with --at schedule it (applied once when the time comes and it is approved)',
  async run(args, io) {
    const { values, positionals } = parseCommand(args, { ...apiOptions, at: { type: 'string' } }, 'requests apply')
    const id = requestId(onePositional(positionals, 'id', 'requests apply'))
    const at = values.at === undefined ? undefined : Date.parse(values.at)
    if (at !== undefined && !Number.isFinite(at)) throw new CliError(`--at: ${values.at} is not a date and time like 2026-05-04T09:00:00Z`)
    const api = createApiClient(connectionFrom(values, io.env))
    const data = await api('POST', apiPath`/api/v1/change-requests/${id}/apply`, at === undefined ? {} : { applyAt: at })
    if (values.json) return printJson(io, data)
    const r = expectShape(changeRequest, data, 'change request')
    io.out(`change request #${r.id} (${r.flag} in ${r.environment}): ${statusText(r)}${r.status === 'open' && r.applyAt !== null ? `, scheduled for ${timestamp(r.applyAt)}` : ''}`)
  },
}

/** `canary requests …`. */
export const requestCommands: CommandGroup = {
  list,
  show,
  approve: action('approve', "approve someone else's request; the last approval needed applies it (unless it is scheduled)"),
  reject: action('reject', "reject someone else's request (final)"),
  withdraw: action('withdraw', 'withdraw your own request (final)'),
  apply,
}
