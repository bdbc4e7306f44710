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
  /**
   * Give up (kill the child, reject with what it printed) when it has not said `listening on`
   * by then; default wait as long as it takes. A bench that sets it fails with the server's
   * output instead of hanging.
   */
  startDeadlineMs?: number
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
  const url = await waitForLine(child, /listening on (\S+)/, options.startDeadlineMs)
  return { url, process: child }
}

/**
 * The first capture of `pattern` in the child's stdout; rejects if the child exits first, or
 * (killing it) if `deadlineMs` passes first. The listener stays on after the match: the child's
 * stdout must keep being read, since on Linux a process writing to a full pipe blocks.
 */
export function waitForLine(child: ChildProcess, pattern: RegExp, deadlineMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = ''
    let found = false
    const timer =
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill()
            reject(new Error(`no ${pattern} within ${deadlineMs} ms; the child printed:\n${seen}`))
          }, deadlineMs)
    child.stdout!.on('data', (d: Buffer) => {
      if (found) return
      seen += d.toString()
      const m = seen.match(pattern)
      if (!m) return
      found = true
      clearTimeout(timer)
      resolve(m[1]!)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code}: ${seen}`))
    })
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
