/** Where a command writes and what environment it reads: passed in so tests can capture both. */
export interface Io {
  out: (text: string) => void
  err: (text: string) => void
  env: NodeJS.ProcessEnv
}

/** The real process: one `write` per line keeps output ordered when stdout is a pipe. */
export function processIo(): Io {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
  }
}

/** `--json` output: the API body as received, indented for people who read it anyway. */
export const printJson = (io: Io, data: unknown) => io.out(JSON.stringify(data, null, 2))
