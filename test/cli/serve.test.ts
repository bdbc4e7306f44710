import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { networkInterfaces, tmpdir } from 'node:os'
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

/** `canary serve ARGS` until its output matches `ready`; `stop()` sends SIGTERM and waits for exit 0. */
async function serveUntil(args: string[], ready: RegExp) {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: cleanEnv() })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  try {
    await waitForOutput(child, ready)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return {
    output: () => output,
    stop: async () => {
      // An answered request means the start has finished (the signal handlers are installed
      // right after the banner): only then does SIGTERM mean a drain and exit 0.
      const port = output.match(/listening on http:\/\/[^\s]*:(\d+)/)?.[1]
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    },
  }
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
      const port = stdout.match(/^canary-flags listening on http:\/\/127\.0\.0\.1:(\d+)$/m)?.[1]
      expect(port).toBeDefined()
      expect(stdout).toMatch(new RegExp(`^console: http://127\\.0\\.0\\.1:${port}/$`, 'm'))

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

  it('binds loopback by default and prints the address it bound; a later start says how to recover the admin key', { timeout: SLOW }, async () => {
    const db = join(tempDir(), 'db.sqlite')
    const first = await serveUntil(['--port', '0', '--db', db], /^admin key: \S+$/m)
    try {
      const port = first.output().match(/^canary-flags listening on http:\/\/127\.0\.0\.1:(\d+)$/m)?.[1]
      expect(port, first.output()).toBeDefined()
      expect(first.output()).toMatch(new RegExp(`^console: http://127\\.0\\.0\\.1:${port}/$`, 'm'))
      expect(first.output()).not.toMatch(/localhost|lost the admin key/)
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
      // Not offered to the network: an address of this machine other than loopback is refused.
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i?.family === 'IPv4' && !i.internal)?.address
      if (external !== undefined)
        await expect(fetch(`http://${external}:${port}/health`)).rejects.toThrow()
    } finally {
      await first.stop()
    }
    const again = await serveUntil(['--port', '0', '--db', db], /^lost the admin key.*$/m)
    await again.stop()
    expect(again.output()).not.toMatch(/^admin key:/m)
    expect(again.output()).toContain(
      `lost the admin key (printed once, on the first start)? canary keys create --kind admin --db ${db} makes another offline (README "Lost admin key")`,
    )
  })

  it('--host 0.0.0.0 says it listens on every interface, and gives loopback as the console address', { timeout: SLOW }, async () => {
    const db = join(tempDir(), 'db.sqlite')
    const server = await serveUntil(['--port', '0', '--host', '0.0.0.0', '--db', db], /^console: .*$/m)
    await server.stop()
    const port = server.output().match(/^canary-flags listening on http:\/\/0\.0\.0\.0:(\d+) \(every interface\)$/m)?.[1]
    expect(port, server.output()).toBeDefined()
    expect(server.output()).toMatch(new RegExp(`^console: http://127\\.0\\.0\\.1:${port}/$`, 'm'))
  })

  it('exits 2 with a one-line message on a bad configuration', { timeout: SLOW }, async () => {
    const db = join(tempDir(), 'db.sqlite')
    const result = await runCli(['serve', '--port', '70000', '--db', db], {})
    expect(result.code).toBe(2)
    expect(result.stderr.trim()).toBe('error: port: 70000 is not a TCP port (0–65535)')
  })
})
