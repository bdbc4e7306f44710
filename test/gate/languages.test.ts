import { spawn } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The other languages' part of the test gate: `npm test` runs `scripts/test-go.sh` and
 * `scripts/test-python.sh` after vitest (joined by `&&`), so each script must exit non-zero
 * whenever one of its tests fails — a failing Go test, a fuzz target that finds a failing input, a
 * failing pytest — and 0 when all pass. Each case copies the real script next to a tiny fixture
 * module (`test/gate-fixtures/languages/<case>/sdk/...`, laid out as the script expects the
 * repository) in a scratch folder and runs it there, so the script under test is the one CI runs.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = join(ROOT, 'test/gate-fixtures/languages')

interface ScriptRun {
  code: number | null
  output: string
}

let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'canary-gate-languages-'))
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** Copies `scripts/<script>` and the fixture `<fixture>` into a scratch repository and runs it. */
async function runScript(script: string, fixture: string, env: NodeJS.ProcessEnv = {}): Promise<ScriptRun> {
  const repo = await mkdtemp(join(scratch, `${fixture}-`))
  await cp(join(ROOT, 'scripts', script), join(repo, 'scripts', script))
  await cp(join(FIXTURES, fixture), repo, { recursive: true })
  const child = spawn('sh', [join(repo, 'scripts', script)], { cwd: repo, env: { ...process.env, ...env } })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return new Promise<ScriptRun>((resolve) => child.once('close', (code) => resolve({ code, output })))
}

describe('the test gate in Go and Python: the exit code tells the truth', { timeout: 300_000 }, () => {
  it('scripts/test-go.sh exits non-zero when a Go test fails, naming it', async () => {
    const run = await runScript('test-go.sh', 'go-red')
    expect(run.code, run.output).not.toBe(0)
    expect(run.output).toContain('gate fixture: this Go assertion is meant to fail')
  })

  it('scripts/test-go.sh exits non-zero when a fuzz target finds a failing input', async () => {
    const run = await runScript('test-go.sh', 'go-fuzz-red', { GO_FUZZTIME: '1000000x' })
    expect(run.code, run.output).not.toBe(0)
    expect(run.output).toContain('gate fixture: this Go fuzz target is meant to fail')
  })

  it('scripts/test-go.sh exits 0 when vet, the tests and both fuzz targets pass', async () => {
    const run = await runScript('test-go.sh', 'go-green', { GO_FUZZTIME: '200x' })
    expect(run.output).toMatch(/ok\s+example\.com\/gatefixture/)
    expect(run.code, run.output).toBe(0)
  })

  it('scripts/test-python.sh exits non-zero when a pytest fails, naming it', async () => {
    const run = await runScript('test-python.sh', 'py-red')
    expect(run.code, run.output).not.toBe(0)
    expect(run.output).toContain('gate fixture: this Python assertion is meant to fail')
  })

  it('scripts/test-python.sh exits 0 when mypy and pytest pass', async () => {
    const run = await runScript('test-python.sh', 'py-green')
    expect(run.output).toMatch(/1 passed/)
    expect(run.code, run.output).toBe(0)
  })
})
