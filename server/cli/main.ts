import { audit } from './audit.ts'
import { backup } from './backup.ts'
import { cohortCommands } from './cohorts.ts'
import type { Command, CommandGroup } from './command.ts'
import { CliError } from './errors.ts'
import { flagCommands } from './flags.ts'
import { guardCommands, planCommands } from './guard.ts'
import { health } from './health.ts'
import { processIo, type Io } from './io.ts'
import { terminalSafe } from '../domain/terminal-text.ts'
import { importCommands } from './import.ts'
import { keyCommands } from './keys.ts'
import { login } from './login.ts'
import { password } from './password.ts'
import { userCommands } from './users.ts'
import { segmentCommands } from './segments.ts'
import { requestCommands } from './requests.ts'
import { serve } from './serve.ts'
import { commandUsage, groupUsage, mainUsage } from './usage.ts'
import { verifyCommands } from './verify.ts'

const topLevel: Record<string, Command> = { serve, backup, health, audit, login, password }
const groups: Record<string, CommandGroup> = {
  keys: keyCommands,
  users: userCommands,
  flags: flagCommands,
  cohorts: cohortCommands,
  segments: segmentCommands,
  guard: guardCommands,
  plan: planCommands,
  requests: requestCommands,
  import: importCommands,
  verify: verifyCommands,
}

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h')

/** Finds the command `argv` names and runs it; usage and help are answered here. */
async function dispatch(argv: string[], io: Io): Promise<void> {
  const [name, verb, ...rest] = argv
  // Nothing asked: the usage on stderr and a usage error, so a script that forgot its
  // arguments does not carry on as if something had run.
  if (name === undefined) {
    io.err(mainUsage(topLevel, groups))
    throw new CliError('no command given', 2)
  }
  if (name === '--help' || name === '-h' || name === 'help') return io.out(mainUsage(topLevel, groups))
  const top = topLevel[name]
  if (top) {
    const args = argv.slice(1)
    return wantsHelp(args) ? io.out(commandUsage(name, top, top.usesApi === true)) : top.run(args, io)
  }
  const group = groups[name]
  if (!group) throw new CliError(`unknown command ${name} (see: canary --help)`)
  if (verb === undefined) {
    io.err(groupUsage(name, group))
    throw new CliError(`missing a command after ${name} (see above)`, 2)
  }
  if (verb === '--help' || verb === '-h') return io.out(groupUsage(name, group))
  const command = group[verb]
  if (!command) throw new CliError(`unknown command ${name} ${verb} (see: canary ${name} --help)`)
  if (wantsHelp(rest)) return io.out(commandUsage(`${name} ${verb}`, command, true))
  return command.run(rest, io)
}

/**
 * The `canary` command line. Returns the exit code: 0 on success, 1 for usage and API errors,
 * 2 for no command at all (usage printed) and a bad server configuration. Expected failures print one line on stderr; anything else
 * is a bug and is rethrown with its stack.
 *
 * @example
 * process.exitCode = await main(['flags', 'on', 'checkout-v2', '--env', 'production'])
 */
export async function main(argv: string[], raw: Io = processIo()): Promise<number> {
  // Every line a command prints may hold names others wrote (cohorts, flags, audit actors):
  // control and bidi characters are shown as escapes, never sent to the terminal.
  const io: Io = { ...raw, out: (text) => raw.out(terminalSafe(text)), err: (text) => raw.err(terminalSafe(text)) }
  try {
    await dispatch(argv, io)
    return 0
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    io.err(`error: ${error.message}`)
    return error.exitCode
  }
}
