import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The one JSON shape every benchmark part writes (documented in bench/README.md), so the table
 * printer needs to know nothing about the parts: propagation and guard benchmarks added later
 * appear in the same table by writing `bench/results/latest-<name>.json`.
 */
export interface BenchRow {
  label: string
  /** `null` when there is no trustworthy figure (e.g. a misconfigured SDK); `note` says why. */
  value: number | null
  unit: string
  note?: string
  /** The raw samples behind `value`, in run order, for anyone re-analysing the run. */
  samples?: number[]
}

export interface BenchResult {
  /** Short id, also the file name: `latest-<name>.json`. */
  name: string
  /** Section heading in the table; defaults to `name`. */
  title?: string
  /** ISO timestamp of the run, shown so stale results stand out. */
  date?: string
  /** False when some figure could not be produced or verified; `npm run bench` then fails. */
  ok?: boolean
  rows: BenchRow[]
}

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results')

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `latest-${result.name}.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  return file
}

function isResult(value: unknown): value is BenchResult {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.name === 'string' && Array.isArray(v.rows)
}

/** Every `latest-*.json`, in a stable order (evaluation first, then alphabetical). */
export function readLatest(order: readonly string[] = []): BenchResult[] {
  let files: string[]
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => /^latest-.+\.json$/.test(f))
  } catch {
    // No results directory yet: nothing has run, which the caller reports as an empty table.
    return []
  }
  const results: BenchResult[] = []
  for (const file of files) {
    const parsed: unknown = JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8'))
    if (!isResult(parsed)) throw new Error(`${file} is not a result (see bench/README.md)`)
    results.push(parsed)
  }
  const rank = (name: string) => {
    const i = order.indexOf(name)
    return i === -1 ? order.length : i
  }
  return results.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name))
}
