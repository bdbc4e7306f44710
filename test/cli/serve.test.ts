import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, cleanEnv, runCli, waitForOutput } from './run-cli.ts'

const SLOW = 60_000
const dirs: string[] = []

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'canary-serve-'))
  dirs.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('canary serve', () => {
  it('prints the admin key once, serves, and exits 0 on SIGTERM', { timeout: SLOW }, async () => {
    const db = join(tempDir(), 'db.sqlite')
    const args = ['serve', '--port', '0', '--host', '127.0.0.1', '--db', db]
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv() })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      const [, secret] = await waitForOutput(child, /^admin key: (\S+)$/m)
      const port = stdout.match(/^canary-flags listening on http:\/\/localhost:(\d+)$/m)?.[1]
      expect(port).toBeDefined()
      expect(stdout).toMatch(/^console: http:\/\/localhost:\d+\/$/m)

      const health = await fetch(`http://127.0.0.1:${port}/health`)
      expect(health.status).toBe(200)
      const flags = await fetch(`http://127.0.0.1:${port}/api/v1/flags`, {
        headers: { authorization: `Bearer ${secret}` },
      })
      expect(flags.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })

  it('exits 2 with a one-line message on a bad configuration', { timeout: SLOW }, async () => {
    const db = join(tempDir(), 'db.sqlite')
    const result = await runCli(['serve', '--port', '70000', '--db', db], {})
    expect(result.code).toBe(2)
    expect(result.stderr.trim()).toBe('error: port: 70000 is not a TCP port (0–65535)')
  })
})
