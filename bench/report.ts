import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { load, machine } from './lib/machine.ts'
import { RESULTS_DIR, readLatest, type BenchResult, type BenchRow } from './lib/results.ts'

/**
 * Prints every `bench/results/latest-*.json` as one table and writes them together to
 * `bench/results/<timestamp>.json`. Parts are independent: a benchmark added later (propagation,
 * guard) only has to write its own `latest-<name>.json` in the shape of `BenchResult`.
 *
 * Run alone with `npm run bench:report` to reprint the last results without measuring.
 */

/** Parts listed first, in this order; any other part follows alphabetically. */
export const PART_ORDER = ['eval', 'memory', 'bundle', 'propagation', 'replicas', 'guard']

function formatValue(value: number | null): string {
  if (value === null) return '—'
  const abs = Math.abs(value)
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2)
}

function section(result: BenchResult, width: number): string[] {
  const status = result.ok === false ? '  [FAILED: see notes]' : ''
  const date = result.date === undefined ? '' : `  (${result.date})`
  const lines = [`${result.title ?? result.name}${date}${status}`]
  for (const row of result.rows) {
    const note = row.note === undefined || row.note === '' ? '' : `  ${row.note}`
    const value = formatValue(row.value).padStart(9)
    lines.push(`  ${row.label.padEnd(width)} ${value} ${row.unit.padEnd(8)}${note}`)
  }
  return lines
}

export function renderTable(results: readonly BenchResult[], header: string): string {
  const labels = results.flatMap((r) => r.rows.map((row: BenchRow) => row.label.length))
  const width = Math.max(20, ...labels)
  const body = results.flatMap((result) => ['', ...section(result, width)])
  return [header, ...body].join('\n')
}

/**
 * Prints the table, and with `record` also writes it as `bench/results/<timestamp>.json` (what
 * `npm run bench` does after measuring). Returns whether every part is ok.
 */
export function report({ record }: { record: boolean }): boolean {
  const results = readLatest(PART_ORDER)
  const date = new Date().toISOString()
  const host = machine()
  const header = `canary-flags benchmarks · ${date}\n${host} · load average ${load()}`
  if (results.length === 0) {
    console.log(`${header}\n\nNo results in ${RESULTS_DIR}: run \`npm run bench\`.`)
    return false
  }
  console.log(renderTable(results, header))
  if (!record) return results.every((r) => r.ok !== false)
  const file = join(RESULTS_DIR, `${date.replace(/[:.]/g, '-')}.json`)
  const dated = { date, machine: host, load: load(), results }
  writeFileSync(file, `${JSON.stringify(dated, null, 2)}\n`)
  console.log(`\nwritten: ${file}`)
  return results.every((r) => r.ok !== false)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!report({ record: false })) process.exitCode = 1
}
