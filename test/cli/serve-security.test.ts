import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, cleanEnv, runCli, waitForOutput } from './run-cli.ts'

/**
 * Findings 7, 8 and 14 (banner) of issue 25, on the real `canary serve` process started under
 * umask 022: owner-only files, the admin key never in a JSON log line, a short operator key
 * started with a loud warning and never shown in part.
 */
const SLOW = 60_000
const dirs: string[] = []
const children: Array<{ stop: () => Promise<void> }> = []
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function serve(env: Record<string, string>) {
  const home = mkdtempSync(join(tmpdir(), 'canary-serve-security-'))
  dirs.push(home)
  const dataDir = join(home, 'data')
  const db = join(dataDir, 'flags.db')
  // The shell sets the umask most systems use, so the modes below are the server's own doing.
  const child = spawn('sh', ['-c', `umask 022 && exec "${process.execPath}" "${BIN}" serve --port 0 --db "${db}"`], {
    env: cleanEnv(env),
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise((resolve) => child.on('exit', resolve))
  const stop = async () => {
    child.kill('SIGTERM')
    await exited
  }
  children.push({ stop })
  const [, url] = await waitForOutput(child, /"url":"(http:\/\/[^"]+)"|listening on (http:\/\/\S+)/).then((m) => [m[0], m[1] ?? m[2]])
  // A request answered means the start (and its banner) is over.
  await fetch(`${url}/health`)
  return { url: url!, dataDir, db, stdout: () => stdout, stderr: () => stderr }
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)

describe('serve under umask 022', () => {
  it(
    'creates the data directory 0700 and the database, WAL and backup 0600 (finding 8)',
    async () => {
      const server = await serve({})
      const key = (server.stdout() + server.stderr()).match(/admin key: (cf_admin_\S+)/)?.[1]
      // A write makes the WAL grow; every file of the database is owner-only.
      const created = await fetch(`${server.url}/api/v1/flags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key: 'checkout-v2' }),
      })
      expect(created.status).toBe(201)
      expect(mode(server.dataDir)).toBe('700')
      for (const suffix of ['', '-wal', '-shm']) expect([suffix, mode(server.db + suffix)]).toEqual([suffix, '600'])
      const backup = join(server.dataDir, '..', 'backup.db')
      const result = await runCli(['backup', '--db', server.db, '--to', backup], {})
      expect(result.code).toBe(0)
      expect(mode(backup)).toBe('600')
    },
    SLOW,
  )

  it(
    'keeps the first-start admin key out of JSON logs: printed once on stderr (finding 14)',
    async () => {
      const server = await serve({ LOG_FORMAT: 'json' })
      const key = server.stderr().match(/admin key: (cf_admin_\S+)/)?.[1]
      expect(key).toBeDefined()
      // Every stdout line is JSON, and none holds the key.
      for (const line of server.stdout().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow()
      expect(server.stdout()).not.toContain(key!)
      expect(server.stdout()).toContain('admin key created: printed once on stderr, never in the logs')
    },
    SLOW,
  )

  it(
    'starts with a short operator key, warns loudly, and lists it by a fixed marker, never a part of it (finding 7)',
    async () => {
      const shortKey = 'my-own-key-of-24-chars!!'
      const server = await serve({ CANARY_ADMIN_KEY: shortKey, LOG_FORMAT: 'json' })
      expect(server.stdout()).toContain('WARNING: CANARY_ADMIN_KEY is 24 characters, under the minimum of 32')
      const list = await fetch(`${server.url}/api/v1/keys`, { headers: { authorization: `Bearer ${shortKey}` } })
      const body = await list.text()
      expect(JSON.parse(body).items).toEqual([expect.objectContaining({ name: 'bootstrap-admin', prefix: 'operator' })])
      const audit = await (await fetch(`${server.url}/api/v1/audit`, { headers: { authorization: `Bearer ${shortKey}` } })).text()
      for (const text of [body, audit, server.stdout()]) expect(text).not.toContain(shortKey.slice(0, 8))
    },
    SLOW,
  )
})
