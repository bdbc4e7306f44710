import { resolve } from 'node:path'
import { ConfigError, readConfig } from '../config.ts'
import { startServer } from '../main.ts'
import { createLogger, logFunction } from '../observability/logger.ts'
import { noPositionals, parseCommand } from './args.ts'
import type { Command } from './command.ts'
import { CliError } from './errors.ts'
import type { Io } from './io.ts'

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/** The one line every later start prints: how to make an admin key offline (README "Lost admin key"). */
export const lostKeyHint = (databasePath: string) =>
  `lost the admin key (printed once, on the first start)? ` +
  `canary keys create --kind admin --db ${resolve(databasePath)} makes another offline (README "Lost admin key")`

/**
 * Resolves on the first SIGINT/SIGTERM (the caller then drains); a second signal while
 * draining calls `onSecond`, which exits at once.
 */
function firstSignal(onSecond: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (seen) return onSecond(signal)
      seen = true
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
  synopsis: '[--port N] [--host H] [--db PATH] [--metrics-port N]',
  summary:
    'run the server (PORT, HOST, DATABASE_PATH, DATABASE_URL for PostgreSQL replicas, CANARY_ADMIN_KEY, PUBLIC_URL, METRICS_PORT, LOG_FORMAT, LOG_LEVEL also apply)',
  async run(args, io: Io) {
    const { positionals } = parseCommand(
      args,
      { port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, 'metrics-port': { type: 'string' } },
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
    const json = config.logFormat === 'json'
    // Structured logs (requests, changes, errors with their stack) go to stdout as pino writes
    // them: JSON lines with LOG_FORMAT=json, readable lines otherwise.
    const logger = createLogger({ format: config.logFormat ?? 'pretty', level: config.logLevel ?? 'info' })
    const server = await startServer(config, { logger, log: logFunction(logger) }).catch((error: unknown) => {
      throw startFailure(error) ?? error
    })
    // The banner stays plain text in a terminal (scripts grep `admin key: <secret>`); in JSON
    // mode it is log lines like everything else, so a log shipper never sees a non-JSON line.
    const banner = (message: string, fields: Record<string, unknown> = {}) =>
      json ? logger.info(fields, message) : io.out(message)
    // The address actually bound (not a name that may resolve elsewhere), and whether that is
    // every interface: the admin API is then reachable from the network.
    const everywhere = /^http:\/\/(0\.0\.0\.0|\[::\]):/.test(server.listening)
    const listening = `canary-flags listening on ${server.listening}${everywhere ? ' (every interface)' : ''}`
    banner(listening, { listening: server.listening, url: server.url })
    banner(`console: ${server.url}/`, { console: `${server.url}/` })
    if (server.metricsListening !== undefined)
      banner(`metrics: ${server.metricsListening}`, { metricsPort: server.metricsPort })
    if (server.adminSecret !== undefined && config.adminKey === undefined && json) {
      // Never a log line: log shippers keep and forward those. The key goes to stderr as plain
      // text, once (the JSON lines stay on stdout), and the log says where it went.
      io.err(`admin key: ${server.adminSecret}`)
      io.err('(shown once: store it now; use it with --key or CANARY_KEY)')
      logger.info('admin key created: printed once on stderr, never in the logs')
    } else if (server.adminSecret !== undefined && config.adminKey === undefined) {
      banner(`admin key: ${server.adminSecret}`)
      banner('(shown once: store it now; use it with --key or CANARY_KEY)')
    } else if (server.adminSecret !== undefined) {
      banner('admin key created from CANARY_ADMIN_KEY')
    } else if (config.databaseUrl === undefined) {
      // Every later start: the key was shown once, so say how to get another without it.
      const hint = lostKeyHint(config.databasePath)
      banner(hint, { lostAdminKey: hint })
    }
    const signal = await firstSignal((second) => {
      logger.warn({ signal: second }, 'second signal: exiting at once without draining')
      process.exit(130)
    })
    logger.info({ signal }, 'shutting down: draining connections, flushing guard data, closing the database')
    await server.close()
    logger.info('shut down cleanly')
  },
}
