import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface ServerProcessOptions {
  /** An existing (seeded) database file; default a fresh one in a temporary directory. */
  db?: string
  /** Extra environment variables (settings under test, e.g. `CANARY_STREAM_COMPRESSION`). */
  env?: Record<string, string>
  /** Extra `node` flags for the server process, e.g. `--cpu-prof` to see where its time goes. */
  nodeArgs?: string[]
  /** A fixed port (a restarted server's successor takes its predecessor's); default a free one. */
  port?: number
  /** Another built checkout whose `bin/canary.js` runs (a before/after comparison); default this one. */
  root?: string
}

/**
 * `canary serve` in its own process on a free port and a fresh database, as in production:
 * benchmarks never measure a server that shares the load generator's event loop.
 */
export async function startServerProcess(
  adminKey: string,
  options: ServerProcessOptions = {},
): Promise<{ url: string; process: ChildProcess }> {
  const db = options.db ?? join(mkdtempSync(join(tmpdir(), 'cf-bench-')), 'db.sqlite')
  const bin = options.root ? join(options.root, 'bin', 'canary.js') : fileURLToPath(new URL('../../bin/canary.js', import.meta.url))
  const args = [...(options.nodeArgs ?? []), bin, 'serve', '--port', String(options.port ?? 0), '--host', '127.0.0.1', '--db', db]
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env, CANARY_ADMIN_KEY: adminKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await waitForLine(child, /listening on (\S+)/)
  return { url, process: child }
}

/** The first capture of `pattern` in the child's stdout; rejects if the child exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = ''
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString()
      const m = seen.match(pattern)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${seen}`)))
  })
}

/** A JSON admin-API caller for one server; throws on any non-2xx answer. */
export function adminApi(url: string, key: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return res.json()
  }
}
