import { noPositionals, parseCommand } from './args.ts'
import type { Command } from './command.ts'
import { CliError } from './errors.ts'

/**
 * `canary health [--url URL]`: exit 0 when the server answers `GET /health` with 200, else 1.
 * The container's HEALTHCHECK (node:20-slim has no curl); defaults to this host's `PORT`.
 */
export const health: Command = {
  synopsis: '[--url URL]',
  summary: 'check that a server answers /health (exit 0) or not (exit 1)',
  async run(args, io) {
    const { values, positionals } = parseCommand(args, { url: { type: 'string' } }, 'health')
    noPositionals(positionals, 'health')
    const base = values.url ?? io.env.CANARY_URL ?? `http://127.0.0.1:${io.env.PORT || '4242'}`
    let status: number
    try {
      const response = await fetch(new URL('/health', base), { signal: AbortSignal.timeout(3000) })
      status = response.status
    } catch (error) {
      throw new CliError(`${base} is not answering: ${(error as Error).message}`, 1, { cause: error })
    }
    if (status !== 200) throw new CliError(`${base}/health answered HTTP ${status}`)
    io.out('ok')
  },
}
