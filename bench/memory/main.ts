import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildChild } from '../lib/build.ts'
import { runChild } from '../lib/child.ts'
import { MB, fixed } from '../lib/format.ts'
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
const COUNTS = [1, 1000] as const

const here = dirname(fileURLToPath(import.meta.url))
const script = await buildChild(join(here, 'run-one.ts'), 'memory')

interface Cell {
  heap: number[]
  rss: number[]
  failure?: string
}
const cells = new Map<string, Cell>()
const keyOf = (sdk: SdkId, count: number) => `${sdk}/${count}`
for (const sdk of SDK_IDS) for (const count of COUNTS) cells.set(keyOf(sdk, count), { heap: [], rss: [] })

for (let round = 1; round <= ROUNDS; round++) {
  for (const sdk of SDK_IDS) {
    for (const count of COUNTS) {
      const cell = cells.get(keyOf(sdk, count))!
      if (cell.failure !== undefined) continue
      let result: MemorySample
      try {
        result = await runChild<MemorySample>(script, [sdk, String(count)], { nodeArgs: ['--expose-gc'] })
      } catch (error) {
        result = { ok: false, summary: error instanceof Error ? error.message.split('\n')[0]! : String(error) }
      }
      if (!result.ok || result.heapUsed === undefined || result.rss === undefined) {
        cell.failure = result.summary
        process.stderr.write(`  memory ${round}/${ROUNDS} ${sdk} ${count}: FAILED (${result.summary})\n`)
        continue
      }
      cell.heap.push(result.heapUsed)
      cell.rss.push(result.rss)
      process.stderr.write(`  memory ${round}/${ROUNDS} ${sdk} ${count}: heap ${fixed(result.heapUsed / MB)} MB\n`)
    }
  }
}

const rows: BenchRow[] = []
for (const sdk of SDK_IDS) {
  const name = sdk === 'canary' ? 'canary-flags' : `${SDKS[sdk].label} ${versionOf(SDKS[sdk].label)}`
  const one = cells.get(keyOf(sdk, 1))!
  const many = cells.get(keyOf(sdk, 1000))!
  for (const [metric, pick] of [['heap', (c: Cell) => c.heap], ['RSS', (c: Cell) => c.rss]] as const) {
    for (const [count, cell] of [[1, one], [1000, many]] as const) {
      const value = cell.failure === undefined ? median(pick(cell)) / MB : null
      let note = cell.failure === undefined ? '' : `FAILED: ${cell.failure}`
      if (count === 1000 && value !== null && one.failure === undefined) {
        const perFlag = ((median(pick(many)) - median(pick(one))) / 999 / 1024).toFixed(2)
        note = `+${perFlag} KB per flag`
      }
      rows.push({ label: `${name} · ${metric}, ${count} flag${count === 1 ? '' : 's'}`, value, unit: 'MB', note })
    }
  }
}

const ok = [...cells.values()].every((cell) => cell.failure === undefined)
writeResult({
  name: 'memory',
  title: `Memory after GC: median of ${ROUNDS} fresh processes per figure (Node baseline included)`,
  date: new Date().toISOString(),
  ok,
  rows,
})
if (!ok) process.exitCode = 1
