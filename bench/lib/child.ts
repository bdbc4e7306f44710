import { spawn } from 'node:child_process'

/** Children print their result on one line after this marker; peers may log to stdout too. */
export const RESULT_MARKER = '@@bench-result '

/** Prints a child's result for `runChild` to pick up. */
export function emitResult(value: unknown): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(value)}\n`)
}

export interface ChildOptions {
  nodeArgs?: string[]
  timeoutMs?: number
}

/**
 * Runs `node [nodeArgs] script [args]` in a fresh process and returns the JSON it emitted.
 * A fresh process per sample keeps one SDK's JIT state, heap and timers out of the next one's.
 */
export function runChild<T>(
  script: string,
  args: readonly string[],
  options: ChildOptions = {},
): Promise<T> {
  const { nodeArgs = [], timeoutMs = 120_000 } = options
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER))
      if (line === undefined) {
        const why = signal === null ? `exit code ${code}` : `signal ${signal}`
        reject(new Error(`${script} ${args.join(' ')}: no result (${why})\n${stderr.slice(-2000)}`))
        return
      }
      resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as T)
    })
  })
}

/** The first line of an error, for a table note (a child's stderr follows it in the message). */
export function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)
}
