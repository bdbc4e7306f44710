import { apiOptions, noPositionals, parseCommand } from './args.ts'
import type { Command } from './command.ts'
import { CliError } from './errors.ts'
import { timestamp } from './format.ts'
import { connectionFrom, createApiClient } from './http.ts'
import { printJson } from './io.ts'
import { expectShape } from './shape.ts'
import * as shapes from '../../api-shapes/index.ts'
import { ACTOR_KINDS, actionText, actorKind, actorText, type ActorKind } from '../../api-shapes/audit-words.ts'
import { formatTable } from './table.ts'
import { tripSummary } from '../../api-shapes/trip-words.ts'

/** A trip's words under the table, one line per `guard.trip` entry: the table has no room for them. */
function tripLines(items: shapes.AuditPage['items']): string[] {
  return items.flatMap((e) => {
    const trip = e.action === 'guard.trip' ? shapes.auditedTrip.safeParse(e.details) : null
    return trip?.success ? [`why the guard turned ${e.flagKey ?? '?'} off in ${e.envKey ?? '?'} at ${timestamp(e.at)}: ${tripSummary(trip.data)}`] : []
  })
}

/** `canary audit [--flag F] [--env E] [--actor person|guard|plan] [--by ACTOR] [--limit N]`: who changed what. */
export const audit: Command = {
  synopsis: '[--flag F] [--env E] [--actor person|guard|plan] [--by person:EMAIL|admin-key:NAME] [--limit N]',
  summary: 'the audit log, newest first: when, who (a person, the guard or a plan), what, where; --by: one actor only',
  usesApi: true,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { ...apiOptions, flag: { type: 'string' }, env: { type: 'string' }, actor: { type: 'string' }, by: { type: 'string' }, limit: { type: 'string' } },
      'audit',
    )
    noPositionals(positionals, 'audit')
    const actor = values.actor
    if (actor !== undefined && !(ACTOR_KINDS as readonly string[]).includes(actor))
      throw new CliError(`--actor: ${actor} is not one of ${ACTOR_KINDS.join(', ')}`)
    const limit = values.limit === undefined ? 50 : Number(values.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliError(`--limit: ${values.limit} is not a whole number from 1 to 500`)
    const query = new URLSearchParams({ limit: String(limit) })
    if (values.flag !== undefined) query.set('flag', values.flag)
    if (values.env !== undefined) query.set('env', values.env)
    if (values.by !== undefined) query.set('actor', values.by)
    const api = createApiClient(connectionFrom(values, io.env))
    const data = await api('GET', `/api/v1/audit?${query}`)
    const page = expectShape(shapes.auditPage, data, 'audit page')
    const items = actor === undefined ? page.items : page.items.filter((e) => actorKind(e.actor) === (actor as ActorKind))
    if (values.json) return printJson(io, { ...page, items })
    if (items.length === 0) return io.out('no changes recorded for this filter')
    const rows = items.map((e) => [timestamp(e.at), e.envKey ?? '-', e.flagKey ?? '-', actorText(e.actor), actionText(e.action)])
    io.out(formatTable(['WHEN', 'ENVIRONMENT', 'FLAG', 'WHO', 'WHAT'], rows))
    for (const line of tripLines(items)) io.out(line)
    if (page.nextBefore !== null) io.out(`(older entries exist; raise --limit to see more)`)
  },
}
