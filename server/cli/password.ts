import * as shapes from '../../api-shapes/index.ts'
import { apiOptions, noPositionals, parseCommand } from './args.ts'
import type { Command } from './command.ts'
import { CliError } from './errors.ts'
import { connectionFrom, createApiClient } from './http.ts'
import type { Io } from './io.ts'
import { printJson } from './io.ts'
import { expectShape } from './shape.ts'

const HOW = 'set CANARY_PASSWORD (current) and CANARY_NEW_PASSWORD, or pass --password-stdin with the current password on the first line and the new one on the second'

/**
 * The current and the new password, never from arguments (the process list and shell history
 * keep those), never from a prompt (it would echo): `CANARY_PASSWORD` and `CANARY_NEW_PASSWORD`,
 * else two lines of stdin with `--password-stdin`.
 */
async function passwords(values: { 'password-stdin'?: boolean | undefined }, io: Io): Promise<{ currentPassword: string; newPassword: string }> {
  if (io.env.CANARY_PASSWORD && io.env.CANARY_NEW_PASSWORD) return { currentPassword: io.env.CANARY_PASSWORD, newPassword: io.env.CANARY_NEW_PASSWORD }
  if (!values['password-stdin']) throw new CliError(`no passwords: ${HOW}`)
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const [currentPassword = '', newPassword = ''] = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)
  if (currentPassword === '' || newPassword === '') throw new CliError(`--password-stdin: expected two lines (current, then new): ${HOW}`)
  return { currentPassword, newPassword }
}

/**
 * `canary password`: the signed-in person (the personal token `canary login` stored, or
 * `--key cfp_…`) changes their own password. Every session of theirs ends on every replica
 * (a token keeps no session); their personal tokens keep working.
 */
export const password: Command = {
  synopsis: '[--password-stdin] [--url U]',
  summary: `change your own password (${HOW}); your sessions end, your personal tokens keep working`,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, { ...apiOptions, 'password-stdin': { type: 'boolean' } }, 'password')
    noPositionals(positionals, 'password')
    const body = await passwords(values, io)
    const api = createApiClient(connectionFrom(values, io.env))
    const data = await api('POST', '/api/v1/session/password', body)
    if (values.json) return printJson(io, data)
    const { endedSessions } = expectShape(shapes.passwordChanged, data, 'password change')
    io.out(`password changed; ${endedSessions} session${endedSessions === 1 ? '' : 's'} ended`)
  },
}
