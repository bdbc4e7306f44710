import { pino, type DestinationStream, type Logger } from 'pino'
import { prettyStream } from './pretty-stream.ts'

export type { Logger } from 'pino'
export type LogFormat = 'pretty' | 'json'
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** The `log(message, error?)` function the services take, over a structured logger. */
export type LogFunction = (message: string, error?: unknown) => void

/**
 * The server's logger (pino): JSON lines with `LOG_FORMAT=json` (for log shippers), readable
 * lines otherwise. `main.ts`/`canary serve` make one and pass it down; nothing logs at import.
 *
 * @example
 * const logger = createLogger({ format: 'json', level: 'info' })
 * logger.info({ environment: 'production', actor: 'alice' }, 'change')
 */
export function createLogger(options: {
  format: LogFormat
  level: LogLevel
  /** Where lines go (default stdout). */
  destination?: NodeJS.WritableStream
}): Logger {
  const out = options.destination ?? process.stdout
  const destination: DestinationStream =
    options.format === 'json' ? (out as DestinationStream) : prettyStream(out)
  return pino(
    {
      level: options.level,
      base: undefined, // pid and hostname are the supervisor's business, not every line's
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
}

/**
 * Adapts a logger to the `log(message, error?)` signature used across the services: a message
 * alone is `info`, a message with an error is `error` with the error serialised (stack kept).
 */
export function logFunction(logger: Logger): LogFunction {
  return (message, error) => (error === undefined ? logger.info(message) : logger.error({ err: error }, message))
}
