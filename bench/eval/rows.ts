import type { FlagKind } from '../fixture/flags.ts'
import { fixed, times } from '../lib/format.ts'
import type { BenchRow } from '../lib/results.ts'
import { median, summarize, type Summary } from '../lib/stats.ts'
import { versionOf } from '../lib/versions.ts'
import { SDKS, SDK_IDS, type SdkId } from '../sdks/index.ts'

/** Issue 5's targets. */
const RICH_MAX_NS = 150
const PLAIN_MAX_NS = 30
const MIN_SPEEDUP = 10
const MAX_FLOOR_RATIO = 3

/** The samples of one SDK × flag (or of a hash floor), one per round, in round order. */
export interface Cell {
  args: string[]
  /** Set once a sample fails: the SDK is misconfigured and gets no figure at all. */
  failure?: string
  wall: number[]
  cpu: number[]
  summary?: string
}

export type Cells = { floor: Cell; package: Cell } & Record<`${SdkId}/${FlagKind}`, Cell>

const spread = (s: Summary) =>
  `IQR ${fixed(s.q1)}–${fixed(s.q3)}, range ${fixed(s.min)}–${fixed(s.max)}, n=${s.n}`

const wallOf = (cell: Cell) => (cell.failure === undefined ? summarize(cell.wall) : undefined)

/**
 * Ratios are taken per round, then the median: the samples of one round ran seconds apart, so
 * a slow spell of this shared machine (its speed drifts by 2x over minutes) hits both sides of
 * a ratio instead of one. Every cell without a failure has one sample per round.
 */
function pairedRatio(numerator: Cell, denominator: Cell): Summary | undefined {
  if (numerator.failure !== undefined || denominator.failure !== undefined) return undefined
  return summarize(numerator.wall.map((value, round) => value / denominator.wall[round]!))
}

const ratioNote = (r: Summary, of: string) =>
  `${times(r.median)} ${of} (per round ${times(r.min)}–${times(r.max)})`

const label = (sdk: SdkId) => {
  const pkg = SDKS[sdk].label
  return sdk === 'canary' ? 'canary-flags (this repo)' : `${pkg} ${versionOf(pkg)}`
}

function sdkRow(cells: Cells, sdk: SdkId, kind: FlagKind): BenchRow {
  const cell = cells[`${sdk}/${kind}`]
  const s = wallOf(cell)
  const rowLabel = `${kind} flag · ${label(sdk)}`
  if (s === undefined) {
    return { label: rowLabel, value: null, unit: 'ns/eval', note: `MISCONFIGURED: ${cell.failure}` }
  }
  const parts = [spread(s), `cpu ${fixed(median(cell.cpu))}`]
  const vsOurs = pairedRatio(cell, cells[`canary/${kind}`])
  if (sdk !== 'canary' && vsOurs !== undefined) parts.push(ratioNote(vsOurs, 'ours'))
  // Only the rich flag hashes; the plain flag's ratio to the floor would mean nothing.
  const vsFloor = pairedRatio(cell, cells.floor)
  if (sdk === 'canary' && kind === 'rich' && vsFloor !== undefined) {
    parts.push(ratioNote(vsFloor, 'floor'))
  }
  parts.push(cell.summary ?? '')
  const note = parts.join('; ')
  return { label: rowLabel, value: s.median, unit: 'ns/eval', note, samples: cell.wall }
}

const verdict = (met: boolean, miss: string) => (met ? 'met' : `MISSED ${miss}`)

/** Per round, the fastest verified peer's time over ours: the speed-up against the best peer. */
function speedups(cells: Cells): Summary | undefined {
  const ours = cells['canary/rich']
  const peers = SDK_IDS.filter((sdk) => sdk !== 'canary')
    .map((sdk) => cells[`${sdk}/rich`])
    .filter((cell) => cell.failure === undefined)
  if (ours.failure !== undefined || peers.length === 0) return undefined
  return summarize(
    ours.wall.map((value, round) => Math.min(...peers.map((p) => p.wall[round]!)) / value),
  )
}

/** Issue 5's targets, judged on this run: medians, and for ratios the median per-round ratio. */
function targetRows(cells: Cells): BenchRow[] {
  const rows: BenchRow[] = []
  const rich = wallOf(cells['canary/rich'])?.median
  const plain = wallOf(cells['canary/plain'])?.median
  if (rich !== undefined) {
    rows.push({
      label: `target: rich isEnabled < ${RICH_MAX_NS} ns`,
      value: rich,
      unit: 'ns',
      note: verdict(rich < RICH_MAX_NS, `by ${fixed(rich - RICH_MAX_NS)} ns`),
    })
  }
  const speedup = speedups(cells)
  if (speedup !== undefined) {
    rows.push({
      label: `target: rich ≥ ${MIN_SPEEDUP}× faster than the fastest peer`,
      value: speedup.median,
      unit: '×',
      note:
        verdict(speedup.median >= MIN_SPEEDUP, `(${fixed(speedup.median)}× of ${MIN_SPEEDUP}×)`) +
        `; per round ${fixed(speedup.min)}–${fixed(speedup.max)}×`,
    })
  }
  const vsFloor = pairedRatio(cells['canary/rich'], cells.floor)
  if (vsFloor !== undefined) {
    const over = vsFloor.median / MAX_FLOOR_RATIO
    rows.push({
      label: `target: rich within ${MAX_FLOOR_RATIO}× the hash floor`,
      value: vsFloor.median,
      unit: '×',
      note:
        verdict(vsFloor.median <= MAX_FLOOR_RATIO, `by ${fixed((over - 1) * 100, 0)}%`) +
        `; per round ${fixed(vsFloor.min, 2)}–${fixed(vsFloor.max, 2)}×`,
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
  return rows
}

function hashRow(cell: Cell, label: string, note: string): BenchRow {
  const s = wallOf(cell)
  if (s === undefined) {
    return { label, value: null, unit: 'ns/hash', note: `MISCONFIGURED: ${cell.failure}` }
  }
  return {
    label,
    value: s.median,
    unit: 'ns/hash',
    note: `${spread(s)}; cpu ${fixed(median(cell.cpu))}; ${note}`,
    samples: cell.wall,
  }
}

export function evalRows(cells: Cells, kinds: readonly FlagKind[]): BenchRow[] {
  const rows: BenchRow[] = [
    hashRow(cells.floor, 'hash floor: murmur3 x86_32, 20-byte key as bytes', 'tight loop'),
    hashRow(
      cells.package,
      `  same keys through murmurhash ${versionOf('murmurhash')} (reference only)`,
      'one Uint8Array per key; not the floor of the targets',
    ),
  ]
  for (const kind of kinds) for (const sdk of SDK_IDS) rows.push(sdkRow(cells, sdk, kind))
  return [...rows, ...targetRows(cells)]
}
