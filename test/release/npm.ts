import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { cleanEnv } from '../cli/run-cli.ts'

export const run = promisify(execFile)

/** `npm …` in `cwd`, with the parent's npm settings (such as `nodedir`) but none of canary's. */
export async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund'], {
    cwd,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
  })
  return stdout
}
