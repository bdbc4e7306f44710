import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildChild } from '../lib/build.ts'
import { firstLine, runChild } from '../lib/child.ts'
import { KB, MB, fixed } from '../lib/format.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { median } from '../lib/stats.ts'
import { versionOf } from '../lib/versions.ts'
import { SDKS, SDK_IDS, type SdkId } from '../sdks/index.ts'
import type { MemorySample } from './run-one.ts'

/**
 * Memory benchmark: heap used and RSS after GC with 1, 1,000 and 10,000 distinct rich flags
 * loaded, for every SDK, each in a fresh process. Rounds are interleaved and the median is
 * reported; RSS in particular moves by a few hundred KB between identical runs, so each count's
 * cost per flag is its median over the 1-flag median, divided by the flags added (issue 25: the
 * median of 5 fresh processes at 1,000 and at 10,000 flags).
 *
 * Run: npm run bench -- memory. MEMORY_ROUNDS (default 5), MEMORY_COUNTS (default 1,1000,10000;
 * the first is the baseline), MEMORY_SDKS (default every SDK, e.g. `canary,growthbook`).
 */

const ROUNDS = Number(process.env.MEMORY_ROUNDS ?? 5)
const COUNTS = (process.env.MEMORY_COUNTS ?? '1,1000,10000').split(',').map(Number)
const FEW = COUNTS[0]!
const SDKS_RUN = SDK_IDS.filter((sdk) => !process.env.MEMORY_SDKS || process.env.MEMORY_SDKS.split(',').includes(sdk))

interface Cell {
  heap: number[]
  rss: number[]
  failure?: string
}

const here = dirname(fileURLToPath(import.meta.url))
const script = await buildChild(join(here, 'run-one.ts'), 'memory')

const cells = new Map<string, Cell>()
const cellOf = (sdk: SdkId, count: number) => {
  const key = `${sdk}/${count}`
  if (!cells.has(key)) cells.set(key, { heap: [], rss: [] })
  return cells.get(key)!
}

async function sample(sdk: SdkId, count: number): Promise<MemorySample> {
  try {
    const args = [sdk, String(count)]
    return await runChild<MemorySample>(script, args, { nodeArgs: ['--expose-gc'] })
  } catch (error) {
    return { ok: false, summary: firstLine(error) }
  }
}

for (let round = 1; round <= ROUNDS; round++) {
  for (const sdk of SDKS_RUN) {
    for (const count of COUNTS) {
      const cell = cellOf(sdk, count)
      if (cell.failure !== undefined) continue
      const result = await sample(sdk, count)
      const name = `memory ${round}/${ROUNDS} ${sdk} ${count}`
      if (!result.ok || result.heapUsed === undefined || result.rss === undefined) {
        cell.failure = result.summary
        process.stderr.write(`  ${name}: FAILED (${result.summary})\n`)
        continue
      }
      cell.heap.push(result.heapUsed)
      cell.rss.push(result.rss)
      process.stderr.write(`  ${name}: heap ${fixed(result.heapUsed / MB)} MB\n`)
    }
  }
}

/** Heap or RSS of one SDK at each count; every row after the first notes the cost per flag. */
function metricRows(sdk: SdkId, metric: 'heap' | 'RSS'): BenchRow[] {
  const { label } = SDKS[sdk]
  const name = sdk === 'canary' ? 'canary-flags' : `${label} ${versionOf(label)}`
  const values = (cell: Cell) => (metric === 'heap' ? cell.heap : cell.rss)
  const few = cellOf(sdk, FEW)
  const row = (count: number, cell: Cell, note: string): BenchRow => ({
    label: `${name} · ${metric}, ${count.toLocaleString('en')} flag${count === 1 ? '' : 's'}`,
    value: cell.failure === undefined ? median(values(cell)) / MB : null,
    unit: 'MB',
    note: cell.failure === undefined ? note : `FAILED: ${cell.failure}`,
  })
  return COUNTS.map((count) => {
    const cell = cellOf(sdk, count)
    if (count === FEW || few.failure !== undefined || cell.failure !== undefined) return row(count, cell, '')
    const delta = (median(values(cell)) - median(values(few))) / (count - FEW)
    return row(count, cell, `+${fixed(delta / KB, 2)} KB per flag`)
  })
}

const rows = SDKS_RUN.flatMap((sdk) => [...metricRows(sdk, 'heap'), ...metricRows(sdk, 'RSS')])
const ok = [...cells.values()].every((cell) => cell.failure === undefined)
writeResult({
  name: 'memory',
  title: `Memory after GC: median of ${ROUNDS} fresh processes per figure (Node baseline included)`,
  date: new Date().toISOString(),
  ok,
  rows,
})
if (!ok) process.exitCode = 1
