import { createKeyOffline } from './offline-keys.ts'
import { apiOptions, noPositionals, onePositional, parseCommand, required } from './args.ts'
import type { CommandGroup } from './command.ts'
import { timestamp } from './format.ts'
import { apiPath, connectionFrom, createApiClient } from './http.ts'
import { printJson } from './io.ts'
import { expectShape } from './shape.ts'
import * as shapes from '../../api-shapes/index.ts'
import { formatTable } from './table.ts'

/** `canary keys create|list|revoke`: API keys for people, services and browsers. */
export const keyCommands: CommandGroup = {
  create: {
    synopsis: '--name N --kind admin|server|client [--env E] [--db PATH]',
    summary:
      'create a key; its secret is printed this once (--db: offline, straight into the database file, to recover a lost admin key)',
    async run(args, io) {
      const { values, positionals } = parseCommand(
        args,
        {
          ...apiOptions,
          name: { type: 'string' },
          kind: { type: 'string' },
          env: { type: 'string' },
          db: { type: 'string' },
        },
        'keys create',
      )
      noPositionals(positionals, 'keys create')
      if (values.db !== undefined) return createKeyOffline(values, io)
      const body = {
        name: required(values.name, '--name <name>', 'keys create'),
        kind: required(values.kind, '--kind admin|server|client', 'keys create'),
        ...(values.env === undefined ? {} : { environment: values.env }),
      }
      const api = createApiClient(connectionFrom(values, io.env))
      const data = await api('POST', '/api/v1/keys', body)
      if (values.json) return printJson(io, data)
      const key = expectShape(shapes.createdKey, data, 'key')
      const scope = key.environment === null ? 'all environments' : `environment ${key.environment}`
      io.out(`created ${key.kind} key ${key.name} (id ${key.id}) for ${scope}`)
      io.out(`secret: ${key.secret}`)
      io.out('the secret is shown this once: store it now, it cannot be read back')
    },
  },

  list: {
    synopsis: '',
    summary: 'list keys (never their secrets)',
    async run(args, io) {
      const { values, positionals } = parseCommand(args, apiOptions, 'keys list')
      noPositionals(positionals, 'keys list')
      const api = createApiClient(connectionFrom(values, io.env))
      const data = await api('GET', '/api/v1/keys')
      if (values.json) return printJson(io, data)
      const { items } = expectShape(shapes.keyList, data, 'key list')
      if (items.length === 0) return io.out('no keys')
      const rows = items.map((k) => [
        k.id,
        k.name,
        k.kind,
        k.environment ?? '(all)',
        k.prefix === 'operator' ? 'operator' : `${k.prefix}…`,
        timestamp(k.createdAt),
        k.revokedAt === null ? 'active' : `revoked ${timestamp(k.revokedAt)}`,
      ])
      const header = ['ID', 'NAME', 'KIND', 'ENVIRONMENT', 'PREFIX', 'CREATED', 'STATUS']
      io.out(formatTable(header, rows))
    },
  },

  revoke: {
    synopsis: '<id>',
    summary: 'revoke a key at once (its live connections close)',
    async run(args, io) {
      const { values, positionals } = parseCommand(args, apiOptions, 'keys revoke')
      const id = onePositional(positionals, 'id', 'keys revoke')
      const api = createApiClient(connectionFrom(values, io.env))
      const data = await api('DELETE', apiPath`/api/v1/keys/${id}`)
      if (values.json) return printJson(io, data)
      const key = expectShape(shapes.apiKey, data, 'key')
      io.out(`revoked ${key.kind} key ${key.name} (id ${key.id})`)
    },
  },
}
