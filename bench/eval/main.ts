import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FlagKind } from '../fixture/flags.ts'
import { buildChild } from '../lib/build.ts'
import { runChild } from '../lib/child.ts'
import { fixed, times } from '../lib/format.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { summarize, type Summary } from '../lib/stats.ts'
import { versionOf } from '../lib/versions.ts'
import { SDKS, SDK_IDS, type SdkId } from '../sdks/index.ts'
import type { Sample } from './run-one.ts'

/**
 * Evaluation benchmark: every SDK × {rich, plain} flag, plus the bare hash floor, each sample in
 * a fresh process, interleaved round by round (floor, A, B, C, D, A, B, …) so that a noisy
 * neighbour slows every SDK alike instead of one of them. `BENCH_ROUNDS` overrides the number
 * of rounds (default 5).
 */

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5))
const KINDS: readonly FlagKind[] = ['rich', 'plain']

/** Issue 5's targets. */
const RICH_MAX_NS = 150
const PLAIN_MAX_NS = 30
const MIN_SPEEDUP = 10
const MAX_FLOOR_RATIO = 3

interface Cell {
  id: string
  args: string[]
  /** Set once a sample fails: the SDK is misconfigured and gets no figure. */
  failure?: string
  samples: number[]
  summary?: string
}

const here = dirname(fileURLToPath(import.meta.url))
const script = await buildChild(join(here, 'run-one.ts'), 'eval')

const floor: Cell = { id: 'floor', args: ['floor'], samples: [] }
const cells = new Map<string, Cell>([['floor', floor]])
const cellOf = (sdk: SdkId, kind: FlagKind) => cells.get(`${sdk}/${kind}`)!
for (const kind of KINDS) {
  for (const sdk of SDK_IDS) cells.set(`${sdk}/${kind}`, { id: `${sdk}/${kind}`, args: [sdk, kind], samples: [] })
}

const started = Date.now()
for (let round = 1; round <= ROUNDS; round++) {
  for (const cell of cells.values()) {
    if (cell.failure !== undefined) continue
    let sample: Sample
    try {
      sample = await runChild<Sample>(script, cell.args)
    } catch (error) {
      sample = { ok: false, summary: error instanceof Error ? error.message.split('\n')[0]! : String(error) }
    }
    if (!sample.ok || sample.nsPerEval === undefined) {
      cell.failure = sample.summary
      process.stderr.write(`  eval ${round}/${ROUNDS} ${cell.id}: MISCONFIGURED (${sample.summary})\n`)
      continue
    }
    cell.samples.push(sample.nsPerEval)
    cell.summary = sample.summary
    process.stderr.write(`  eval ${round}/${ROUNDS} ${cell.id}: ${fixed(sample.nsPerEval)} ns\n`)
  }
}

const spread = (s: Summary) => `IQR ${fixed(s.q1)}–${fixed(s.q3)}, range ${fixed(s.min)}–${fixed(s.max)}, n=${s.n}`
const summaryOf = (cell: Cell) => (cell.failure === undefined ? summarize(cell.samples) : undefined)
const label = (sdk: SdkId) => (sdk === 'canary' ? 'canary-flags (this repo)' : `${SDKS[sdk].label} ${versionOf(SDKS[sdk].label)}`)

const rows: BenchRow[] = []
const floorSummary = summaryOf(floor)
rows.push({
  label: 'hash floor: murmur3 x86_32, 20-byte key as bytes',
  value: floorSummary?.median ?? null,
  unit: 'ns/hash',
  note: floorSummary === undefined ? `MISCONFIGURED: ${floor.failure}` : spread(floorSummary),
})

for (const kind of KINDS) {
  const ours = summaryOf(cellOf('canary', kind))
  for (const sdk of SDK_IDS) {
    const cell = cellOf(sdk, kind)
    const s = summaryOf(cell)
    if (s === undefined) {
      rows.push({ label: `${kind} flag · ${label(sdk)}`, value: null, unit: 'ns/eval', note: `MISCONFIGURED: ${cell.failure}` })
      continue
    }
    const ratio = sdk === 'canary' ? '' : ours === undefined ? '' : `; ${times(s.median / ours.median)} ours`
    const vsFloor = sdk === 'canary' && floorSummary !== undefined ? `; ${times(s.median / floorSummary.median)} floor` : ''
    rows.push({
      label: `${kind} flag · ${label(sdk)}`,
      value: s.median,
      unit: 'ns/eval',
      note: `${spread(s)}${ratio}${vsFloor}; ${cell.summary}`,
    })
  }
}

// Issue 5's targets, judged on the medians of this run.
const rich = summaryOf(cellOf('canary', 'rich'))?.median
const plain = summaryOf(cellOf('canary', 'plain'))?.median
const peers = SDK_IDS.filter((sdk) => sdk !== 'canary')
  .map((sdk) => summaryOf(cellOf(sdk, 'rich'))?.median)
  .filter((v): v is number => v !== undefined)
// Only verified peers have a figure; the comparison is against the fastest of those.
const fastestPeer = peers.length > 0 ? Math.min(...peers) : undefined
const verdict = (met: boolean, miss: string) => (met ? 'met' : `MISSED ${miss}`)
if (rich !== undefined) {
  rows.push({
    label: `target: rich isEnabled < ${RICH_MAX_NS} ns`,
    value: rich,
    unit: 'ns',
    note: verdict(rich < RICH_MAX_NS, `by ${fixed(rich - RICH_MAX_NS)} ns`),
  })
}
if (rich !== undefined && fastestPeer !== undefined) {
  const speedup = fastestPeer / rich
  rows.push({
    label: `target: rich ≥ ${MIN_SPEEDUP}× faster than the fastest peer`,
    value: speedup,
    unit: '×',
    note: verdict(speedup >= MIN_SPEEDUP, `(need ≤ ${fixed(fastestPeer / MIN_SPEEDUP)} ns)`),
  })
}
if (rich !== undefined && floorSummary !== undefined) {
  const ratio = rich / floorSummary.median
  rows.push({
    label: `target: rich within ${MAX_FLOOR_RATIO}× the hash floor`,
    value: ratio,
    unit: '×',
    note: verdict(ratio <= MAX_FLOOR_RATIO, `by ${fixed(rich - MAX_FLOOR_RATIO * floorSummary.median)} ns (need ≤ ${fixed(MAX_FLOOR_RATIO * floorSummary.median)} ns)`),
  })
}
if (plain !== undefined) {
  rows.push({
    label: `target: plain isEnabled < ${PLAIN_MAX_NS} ns`,
    value: plain,
    unit: 'ns',
    note: verdict(plain < PLAIN_MAX_NS, `by ${fixed(plain - PLAIN_MAX_NS)} ns`),
  })
}

const ok = [...cells.values()].every((cell) => cell.failure === undefined)
writeResult({
  name: 'eval',
  title: `Evaluation: isEnabled per call, median of ${ROUNDS} interleaved fresh processes (${Math.round((Date.now() - started) / 1000)} s)`,
  date: new Date().toISOString(),
  ok,
  rows,
})
// An SDK that failed verification gets no figure, and the run fails.
if (!ok) process.exitCode = 1
