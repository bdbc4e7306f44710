import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PART_ORDER, report } from './report.ts'

/**
 * `npm run bench`: runs every benchmark part, one after another (never in parallel: they
 * would measure each other), then prints one table. A part is any `bench/<name>/main.ts`; it
 * writes `bench/results/latest-<name>.json` (see bench/README.md). Arguments or `BENCH_ONLY`
 * (comma-separated) select parts: `npm run bench -- eval memory`.
 *
 * Exits non-zero when a part fails or reports a figure it could not verify.
 */

const here = dirname(fileURLToPath(import.meta.url))

function discoverParts(): string[] {
  const found = readdirSync(here, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(here, entry.name, 'main.ts')))
    .map((entry) => entry.name)
  const rank = (name: string) =>
    PART_ORDER.includes(name) ? PART_ORDER.indexOf(name) : PART_ORDER.length
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

const selected = [...process.argv.slice(2), ...(process.env.BENCH_ONLY?.split(',') ?? [])]
  .map((s) => s.trim())
  .filter((s) => s !== '')
const parts = discoverParts().filter((p) => selected.length === 0 || selected.includes(p))
const unknown = selected.filter((s) => !discoverParts().includes(s))
if (unknown.length > 0) throw new Error(`unknown benchmark part(s): ${unknown.join(', ')}`)

let failed = false
for (const part of parts) {
  const started = Date.now()
  process.stderr.write(`bench: ${part}…\n`)
  // tsx transpiles each part once at load; the timed code runs in children built by esbuild.
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, part, 'main.ts')], {
    stdio: 'inherit',
  })
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  const outcome = run.status === 0 ? 'done' : `FAILED (exit ${run.status ?? run.signal})`
  process.stderr.write(`bench: ${part} ${outcome} in ${seconds} s\n`)
  if (run.status !== 0) failed = true
}

console.log('')
if (!report({ record: true })) failed = true
if (failed) process.exitCode = 1
