/**
 * An expected failure of a command: bad usage, an API error, an unreachable server. `main`
 * prints its message as one line and exits with `exitCode`; anything else is a bug and keeps
 * its stack trace.
 *
 * @example
 * throw new CliError('no API key: pass --key or set CANARY_KEY')
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = new.target.name
  }
}
