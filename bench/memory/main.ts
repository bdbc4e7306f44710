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
 * Memory benchmark: heap used and RSS after GC with 1 and with 1,000 distinct rich flags loaded,
 * for every SDK, each in a fresh process. Rounds are interleaved and the median is reported;
 * RSS in particular moves by a few hundred KB between identical runs.
 */

const ROUNDS = 3
const FEW = 1
const MANY = 1000

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
  for (const sdk of SDK_IDS) {
    for (const count of [FEW, MANY]) {
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

/** Heap or RSS of one SDK, with 1 and with 1,000 flags; the second row notes the cost per flag. */
function metricRows(sdk: SdkId, metric: 'heap' | 'RSS'): BenchRow[] {
  const { label } = SDKS[sdk]
  const name = sdk === 'canary' ? 'canary-flags' : `${label} ${versionOf(label)}`
  const values = (cell: Cell) => (metric === 'heap' ? cell.heap : cell.rss)
  const few = cellOf(sdk, FEW)
  const many = cellOf(sdk, MANY)
  const row = (count: number, cell: Cell, note: string): BenchRow => ({
    label: `${name} · ${metric}, ${count} flag${count === 1 ? '' : 's'}`,
    value: cell.failure === undefined ? median(values(cell)) / MB : null,
    unit: 'MB',
    note: cell.failure === undefined ? note : `FAILED: ${cell.failure}`,
  })
  let perFlag = ''
  if (few.failure === undefined && many.failure === undefined) {
    const delta = (median(values(many)) - median(values(few))) / (MANY - FEW)
    perFlag = `+${fixed(delta / KB, 2)} KB per flag`
  }
  return [row(FEW, few, ''), row(MANY, many, perFlag)]
}

const rows = SDK_IDS.flatMap((sdk) => [...metricRows(sdk, 'heap'), ...metricRows(sdk, 'RSS')])
const ok = [...cells.values()].every((cell) => cell.failure === undefined)
writeResult({
  name: 'memory',
  title: `Memory after GC: median of ${ROUNDS} fresh processes per figure (Node baseline included)`,
  date: new Date().toISOString(),
  ok,
  rows,
})
if (!ok) process.exitCode = 1
