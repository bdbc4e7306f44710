import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FlagKind } from '../fixture/flags.ts'
import { buildChild } from '../lib/build.ts'
import { firstLine, runChild } from '../lib/child.ts'
import { fixed } from '../lib/format.ts'
import { writeResult } from '../lib/results.ts'
import { SDK_IDS } from '../sdks/index.ts'
import { evalRows, type Cell, type Cells } from './rows.ts'
import type { Sample } from './run-one.ts'

/**
 * Evaluation benchmark: every SDK × {rich, plain} flag, plus the bare hash floor, each sample in
 * a fresh process, interleaved round by round (floor, A, B, C, D, A, B, …) so that a noisy
 * neighbour slows every SDK alike instead of one of them. `BENCH_ROUNDS` overrides the number
 * of rounds (default 5).
 */

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5))
const KINDS: readonly FlagKind[] = ['rich', 'plain']

const here = dirname(fileURLToPath(import.meta.url))
const script = await buildChild(join(here, 'run-one.ts'), 'eval')

const cell = (args: string[]): Cell => ({ args, wall: [], cpu: [] })
const cells = { floor: cell(['floor', 'loop']), package: cell(['floor', 'package']) } as Cells
for (const kind of KINDS) for (const sdk of SDK_IDS) cells[`${sdk}/${kind}`] = cell([sdk, kind])

async function sample(target: Cell): Promise<Sample> {
  try {
    return await runChild<Sample>(script, target.args)
  } catch (error) {
    // A crashed child is reported like a failed verification: no figure for that SDK.
    return { ok: false, summary: firstLine(error) }
  }
}

const started = Date.now()
for (let round = 1; round <= ROUNDS; round++) {
  for (const target of Object.values(cells)) {
    if (target.failure !== undefined) continue
    const result = await sample(target)
    const name = target.args.join(' ')
    if (!result.ok || result.nsPerEval === undefined || result.cpuNsPerEval === undefined) {
      target.failure = result.summary
      process.stderr.write(`  eval ${round}/${ROUNDS} ${name}: MISCONFIGURED (${result.summary})\n`)
      continue
    }
    target.wall.push(result.nsPerEval)
    target.cpu.push(result.cpuNsPerEval)
    target.summary = result.summary
    process.stderr.write(`  eval ${round}/${ROUNDS} ${name}: ${fixed(result.nsPerEval)} ns\n`)
  }
}

const seconds = Math.round((Date.now() - started) / 1000)
const ok = Object.values(cells).every((target) => target.failure === undefined)
writeResult({
  name: 'eval',
  title:
    `Evaluation: isEnabled per call, wall-clock median of ${ROUNDS} interleaved fresh ` +
    `processes (each: ≥ 1e6 calls over 100,000 users, median of ≥ 50 ms chunks; "cpu": the ` +
    `same in process CPU time; ratios per round; ${seconds} s)`,
  date: new Date().toISOString(),
  ok,
  rows: evalRows(cells, KINDS),
})
// An SDK that failed verification gets no figure, and the run fails.
if (!ok) process.exitCode = 1
