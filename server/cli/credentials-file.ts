import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { CliError } from './errors.ts'

/**
 * Where `canary login` keeps personal tokens, one per server URL: `credentials.json` in
 * `CANARY_CONFIG_DIR`, else `$XDG_CONFIG_HOME/canary`, else `~/.config/canary`. Written with mode
 * 0600 (the owner only), as ssh and the cloud CLIs keep their credentials.
 */
export function credentialsPath(env: NodeJS.ProcessEnv): string {
  const dir = env.CANARY_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'canary')
  return join(dir, 'credentials.json')
}

type Stored = Record<string, { token: string; email: string }>

function read(path: string): Stored {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, 1, { cause: error })
  }
  try {
    return JSON.parse(text) as Stored
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: delete it and run canary login again`, 1, { cause: error })
  }
}

/** The token `canary login` stored for a server URL, if any. */
export function storedToken(url: string, env: NodeJS.ProcessEnv): string | undefined {
  return read(credentialsPath(env))[url]?.token
}

/** Stores (or replaces) the token of a server URL; the file is the owner's only. */
export function storeToken(url: string, entry: { token: string; email: string }, env: NodeJS.ProcessEnv): string {
  const path = credentialsPath(env)
  const stored = { ...read(path), [url]: entry }
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
  writeFileSync(path, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 })
  chmodSync(path, 0o600) // an existing file keeps its mode on write
  return path
}
