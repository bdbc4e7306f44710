import { CliError } from './errors.ts'
import type { Io } from './io.ts'

/**
 * A password for a command, never from an argument (the process list and shell history keep
 * those): `CANARY_PASSWORD`, else the first line of stdin with `--password-stdin` (as
 * `docker login` reads it). Never a prompt: readline would echo it on the screen. Undefined
 * when neither is there.
 */
export async function passwordInput(values: { 'password-stdin'?: boolean | undefined }, io: Io): Promise<string | undefined> {
  if (io.env.CANARY_PASSWORD) return io.env.CANARY_PASSWORD
  if (values['password-stdin']) {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
    if (line === '') throw new CliError('--password-stdin: stdin was empty')
    return line
  }
  return undefined
}
