import { spawn, type ChildProcess } from 'node:child_process'
import { BIN, cleanEnv, waitForOutput } from './run-cli.ts'

export interface ServerProcess {
  child: ChildProcess
  url: string
  port: number
  /** The admin key printed on first start (undefined on a database that already had keys). */
  adminKey: string | undefined
  /** Everything printed so far. */
  output(): string
  /** Resolves with the exit code. */
  exited: Promise<number | null>
}

/**
 * `canary serve` as a child process on `port` (0: any) and `db`, once it listens (and, with
 * `newDatabase`, once it printed the admin key it created).
 */
export async function startServerProcess(
  db: string,
  options: { port?: number; env?: Record<string, string>; newDatabase?: boolean } = {},
): Promise<ServerProcess> {
  const args = ['serve', '--port', String(options.port ?? 0), '--host', '127.0.0.1', '--db', db]
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(options.env) })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  await waitForOutput(child, options.newDatabase ? /^admin key: \S+$/m : /listening on/)
  const port = output.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)![1]
  const adminKey = output.match(/^admin key: (\S+)$/m)?.[1]
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    port: Number(port),
    adminKey,
    output: () => output,
    exited,
  }
}

export { call } from '../helpers/call-api.ts'
