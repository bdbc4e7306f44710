import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SERVER_SETTINGS = ['PORT', 'HOST', 'DATABASE_PATH', 'PUBLIC_URL']

export const BIN = fileURLToPath(new URL('../../bin/canary.js', import.meta.url))

/** The parent's environment minus anything that would configure the CLI or server unseen. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of Object.keys(env))
    if (name.startsWith('CANARY_') || SERVER_SETTINGS.includes(name)) delete env[name]
  return { ...env, ...extra }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node bin/canary.js …` as a real child process and collects what it printed. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Resolves with the first match of `pattern` in the child's stdout; rejects if it exits first. */
export function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const onData = (chunk: Buffer) => {
      seen += chunk.toString()
      const match = seen.match(pattern)
      if (!match) return
      child.stdout?.off('data', onData)
      child.off('exit', onExit)
      resolve(match)
    }
    const onExit = (code: number | null) =>
      reject(new Error(`exited with ${code} before printing ${pattern}; stdout was:\n${seen}`))
    child.stdout?.on('data', onData)
    child.once('exit', onExit)
  })
}

/**
 * Runs the CLI's `main` in this process with captured output: what a command prints and its
 * exit code, without a `node` start per command. `env` is all the environment the CLI sees.
 */
export async function runMain(args: string[], env: Record<string, string>): Promise<CliResult> {
  const { main } = await import('../../server/cli/main.ts')
  let stdout = ''
  let stderr = ''
  const code = await main(args, {
    out: (text) => (stdout += `${text}\n`),
    err: (text) => (stderr += `${text}\n`),
    env: { ...env },
    interactive: false,
    ask: () => Promise.reject(new Error('not interactive')),
  })
  return { code, stdout, stderr }
}
