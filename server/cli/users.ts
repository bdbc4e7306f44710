import { hashPassword, passwordProblem } from '../auth/password.ts'
import { createSqliteStore } from '../store/sqlite-store.ts'
import type { Membership, Person } from '../store/contract.ts'
import { ROLES } from '../../api-shapes/people.ts'
import * as shapes from '../../api-shapes/index.ts'
import { apiOptions, noPositionals, parseCommand, required } from './args.ts'
import type { CommandGroup } from './command.ts'
import { openExistingDb } from './database-file.ts'
import { CliError } from './errors.ts'
import { timestamp } from './format.ts'
import { connectionFrom, createApiClient } from './http.ts'
import { printJson, type Io } from './io.ts'
import { passwordInput } from './password-input.ts'
import { expectShape } from './shape.ts'
import { formatTable } from './table.ts'

const PASSWORD_HOW = 'set CANARY_PASSWORD or pass --password-stdin (never as an argument: the process list shows those)'

/** `--role production=editor` (repeatable; `*=viewer` for every environment) as memberships. */
function parseRoles(values: string[] | undefined): Membership[] {
  return (values ?? []).map((entry) => {
    const [environment, role] = entry.split('=')
    if (!environment || !role || !(ROLES as readonly string[]).includes(role))
      throw new CliError(`--role ${entry}: expected ENV=ROLE with ROLE one of ${ROLES.join(', ')} (ENV * for every environment)`)
    return { environment, role: role as Membership['role'] }
  })
}

const rolesText = (p: Person) =>
  p.admin ? 'global admin' : p.roles.map((m) => `${m.environment === '*' ? 'every environment' : m.environment}: ${m.role}`).join(', ') || '(none)'

/** Offline: straight into the database file, as `keys create --db` (the first admin, or a lost one). */
async function createOffline(
  db: string,
  input: { email: string; name: string; admin: boolean; roles: Membership[]; password: string | undefined },
  io: Io,
  json: boolean,
): Promise<void> {
  let passwordHash: string | null = null
  if (input.password !== undefined) {
    const problem = passwordProblem(input.password)
    if (problem) throw new CliError(problem)
    passwordHash = await hashPassword(input.password)
  }
  const database = openExistingDb(db)
  try {
    const store = createSqliteStore(database.db)
    const person = await store.people.create({ ...input, passwordHash }, 'cli:offline').catch((error: unknown) => {
      throw new CliError((error as Error).message, 1, { cause: error })
    })
    if (json) return printJson(io, person)
    io.out(`created ${person.email} (${rolesText(person)}, id ${person.id}) in ${db}`)
  } finally {
    database.close()
  }
}

/** `canary users create|list`: the people who sign in to the console and the CLI. */
export const userCommands: CommandGroup = {
  create: {
    synopsis: '--email E --name N [--admin] [--role ENV=ROLE]… [--password-stdin] [--db PATH]',
    summary:
      'create a person (password from CANARY_PASSWORD or --password-stdin); --admin: a global admin; --db: offline, straight into the database file (the first admin)',
    async run(args, io) {
      const { values, positionals } = parseCommand(
        args,
        {
          ...apiOptions,
          email: { type: 'string' },
          name: { type: 'string' },
          admin: { type: 'boolean' },
          role: { type: 'string', multiple: true },
          'password-stdin': { type: 'boolean' },
          db: { type: 'string' },
        },
        'users create',
      )
      noPositionals(positionals, 'users create')
      const email = required(values.email, '--email <email>', 'users create')
      const input = {
        email,
        name: values.name ?? email.split('@')[0]!,
        admin: values.admin ?? false,
        roles: parseRoles(values.role),
        password: await passwordInput(values, io),
      }
      if (input.admin && input.password === undefined) throw new CliError(`a global admin needs a password to sign in: ${PASSWORD_HOW}`)
      if (values.db !== undefined) return createOffline(values.db, input, io, values.json ?? false)
      const api = createApiClient(connectionFrom(values, io.env))
      const data = await api('POST', '/api/v1/members', input) // an undefined password is left out of the JSON
      if (values.json) return printJson(io, data)
      const person = expectShape(shapes.person, data, 'person')
      io.out(`created ${person.email} (${rolesText(person)}, id ${person.id})`)
    },
  },

  list: {
    synopsis: '[--db PATH]',
    summary: 'list people and their roles (never passwords)',
    async run(args, io) {
      const { values, positionals } = parseCommand(args, { ...apiOptions, db: { type: 'string' } }, 'users list')
      noPositionals(positionals, 'users list')
      let items: Person[]
      if (values.db !== undefined) {
        const database = openExistingDb(values.db)
        try {
          items = await createSqliteStore(database.db).people.list()
        } finally {
          database.close()
        }
        if (values.json) return printJson(io, { items })
      } else {
        const data = await createApiClient(connectionFrom(values, io.env))('GET', '/api/v1/members')
        if (values.json) return printJson(io, data)
        items = expectShape(shapes.personList, data, 'member list').items
      }
      if (items.length === 0) return io.out('no people yet (create the first admin: canary users create --admin --email … --db FILE)')
      io.out(formatTable(['EMAIL', 'NAME', 'ROLES', 'PASSWORD', 'CREATED'], items.map((p) => [p.email, p.name, rolesText(p), p.hasPassword ? 'set' : 'none', timestamp(p.createdAt)])))
    },
  },
}
