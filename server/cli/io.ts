import { createInterface } from 'node:readline/promises'

/** Where a command writes and what environment it reads: passed in so tests can capture both. */
export interface Io {
  out: (text: string) => void
  err: (text: string) => void
  env: NodeJS.ProcessEnv
  /** Whether a person can answer a question: stdin and stdout are terminals. */
  interactive: boolean
  /** Asks one question and resolves to the answer (only called when `interactive`). */
  ask: (question: string) => Promise<string>
}

/** The real process: one `write` per line keeps output ordered when stdout is a pipe. */
export function processIo(): Io {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout })
      try {
        return await rl.question(question)
      } finally {
        rl.close()
      }
    },
  }
}

/** `--json` output: the API body as received, indented for people who read it anyway. */
export const printJson = (io: Io, data: unknown) => io.out(JSON.stringify(data, null, 2))

/** A yes to a `[y/N]` question; anything else (or nothing) is a no. */
export const isYes = (answer: string) => /^\s*y(es)?\s*$/i.test(answer)
