import { ConfigError, readConfig } from '../config.ts'
import { startServer } from '../main.ts'
import { noPositionals, parseCommand } from './args.ts'
import type { Command } from './command.ts'
import { CliError } from './errors.ts'
import type { Io } from './io.ts'

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/** Resolves on the first SIGINT/SIGTERM; a second one gets Node's default (exit at once). */
function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of SIGNALS) process.off(s, onSignal)
      resolve(signal)
    }
    for (const s of SIGNALS) process.on(s, onSignal)
  })
}

/** Failures of the OS we can explain (port in use, unwritable database directory) vs bugs. */
function startFailure(error: unknown): CliError | undefined {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string')
    return undefined
  const reason = error.code === 'EADDRINUSE' ? 'the port is already in use' : error.message
  return new CliError(`cannot start the server: ${reason}`, 1, { cause: error })
}

/**
 * `canary serve`: the server in the foreground, as `npm start` runs it. Scripts grep the
 * `admin key: <secret>` line, so its form is fixed.
 */
export const serve: Command = {
  synopsis: '[--port N] [--host H] [--db PATH]',
  summary: 'run the server (PORT, HOST, DATABASE_PATH, CANARY_ADMIN_KEY, PUBLIC_URL also apply)',
  async run(args, io: Io) {
    const { positionals } = parseCommand(
      args,
      { port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' } },
      'serve',
    )
    noPositionals(positionals, 'serve')
    let config
    try {
      config = readConfig(args, io.env)
    } catch (error) {
      if (error instanceof ConfigError) throw new CliError(error.message, 2, { cause: error })
      throw error
    }
    // Server errors at run time are bugs or outages: keep their stack for whoever reads the log.
    const log = (message: string, error?: unknown) =>
      error === undefined
        ? io.out(message)
        : io.err(`${message}: ${error instanceof Error ? (error.stack ?? error.message) : error}`)
    const server = await startServer(config, { log }).catch((error: unknown) => {
      throw startFailure(error) ?? error
    })
    io.out(`canary-flags listening on ${server.url}`)
    io.out(`console: ${server.url}/`)
    if (server.adminSecret !== undefined && config.adminKey === undefined) {
      io.out(`admin key: ${server.adminSecret}`)
      io.out('(shown once: store it now; use it with --key or CANARY_KEY)')
    } else if (server.adminSecret !== undefined) {
      io.out('admin key created from CANARY_ADMIN_KEY')
    }
    const signal = await firstSignal()
    io.out(`${signal}: closing`)
    await server.close()
  },
}
