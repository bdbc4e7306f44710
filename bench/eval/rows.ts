import type { FlagKind } from '../fixture/flags.ts'
import { fixed, times } from '../lib/format.ts'
import type { BenchRow } from '../lib/results.ts'
import { summarize, type Summary } from '../lib/stats.ts'
import { versionOf } from '../lib/versions.ts'
import { SDKS, SDK_IDS, type SdkId } from '../sdks/index.ts'

/** Issue 5's targets. */
const RICH_MAX_NS = 150
const PLAIN_MAX_NS = 30
const MIN_SPEEDUP = 10
const MAX_FLOOR_RATIO = 3

/** The samples of one SDK × flag (or of the hash floor) across rounds. */
export interface Cell {
  args: string[]
  /** Set once a sample fails: the SDK is misconfigured and gets no figure. */
  failure?: string
  wall: number[]
  cpu: number[]
  summary?: string
}

export type Cells = { floor: Cell; package: Cell } & Record<`${SdkId}/${FlagKind}`, Cell>

const spread = (s: Summary) =>
  `IQR ${fixed(s.q1)}–${fixed(s.q3)}, range ${fixed(s.min)}–${fixed(s.max)}, n=${s.n}`

const wallOf = (cell: Cell) => (cell.failure === undefined ? summarize(cell.wall) : undefined)

const label = (sdk: SdkId) =>
  sdk === 'canary' ? 'canary-flags (this repo)' : `${SDKS[sdk].label} ${versionOf(SDKS[sdk].label)}`

function sdkRow(cells: Cells, sdk: SdkId, kind: FlagKind, floor: Summary | undefined): BenchRow {
  const cell = cells[`${sdk}/${kind}`]
  const s = wallOf(cell)
  const rowLabel = `${kind} flag · ${label(sdk)}`
  if (s === undefined) {
    return { label: rowLabel, value: null, unit: 'ns/eval', note: `MISCONFIGURED: ${cell.failure}` }
  }
  const ours = wallOf(cells[`canary/${kind}`])
  const parts = [spread(s), `cpu ${fixed(summarize(cell.cpu).median)}`]
  if (sdk !== 'canary' && ours !== undefined) parts.push(`${times(s.median / ours.median)} ours`)
  // Only the rich flag hashes; the plain flag's ratio to the floor would mean nothing.
  if (sdk === 'canary' && kind === 'rich' && floor !== undefined) {
    parts.push(`${times(s.median / floor.median)} floor`)
  }
  parts.push(cell.summary ?? '')
  return { label: rowLabel, value: s.median, unit: 'ns/eval', note: parts.join('; ') }
}

const verdict = (met: boolean, miss: string) => (met ? 'met' : `MISSED ${miss}`)

/** Issue 5's targets, judged on the medians of this run. */
function targetRows(cells: Cells, floor: Summary | undefined): BenchRow[] {
  const rows: BenchRow[] = []
  const rich = wallOf(cells['canary/rich'])?.median
  const plain = wallOf(cells['canary/plain'])?.median
  // Only verified peers have a figure; the comparison is against the fastest of those.
  const peers = SDK_IDS.filter((sdk) => sdk !== 'canary')
    .map((sdk) => wallOf(cells[`${sdk}/rich`])?.median)
    .filter((v): v is number => v !== undefined)
  if (rich !== undefined) {
    rows.push({
      label: `target: rich isEnabled < ${RICH_MAX_NS} ns`,
      value: rich,
      unit: 'ns',
      note: verdict(rich < RICH_MAX_NS, `by ${fixed(rich - RICH_MAX_NS)} ns`),
    })
  }
  if (rich !== undefined && peers.length > 0) {
    const fastest = Math.min(...peers)
    const speedup = fastest / rich
    rows.push({
      label: `target: rich ≥ ${MIN_SPEEDUP}× faster than the fastest peer`,
      value: speedup,
      unit: '×',
      note: verdict(speedup >= MIN_SPEEDUP, `(need ≤ ${fixed(fastest / MIN_SPEEDUP)} ns)`),
    })
  }
  if (rich !== undefined && floor !== undefined) {
    const ratio = rich / floor.median
    const limit = MAX_FLOOR_RATIO * floor.median
    rows.push({
      label: `target: rich within ${MAX_FLOOR_RATIO}× the hash floor`,
      value: ratio,
      unit: '×',
      note: verdict(ratio <= MAX_FLOOR_RATIO, `by ${fixed(rich - limit)} ns (${fixed(limit)} ok)`),
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
  const cpu = fixed(summarize(cell.cpu).median)
  return { label, value: s.median, unit: 'ns/hash', note: `${spread(s)}; cpu ${cpu}; ${note}` }
}

export function evalRows(cells: Cells, kinds: readonly FlagKind[]): BenchRow[] {
  const floor = wallOf(cells.floor)
  const rows: BenchRow[] = [
    hashRow(cells.floor, 'hash floor: murmur3 x86_32, 20-byte key as bytes', 'tight loop'),
    hashRow(
      cells.package,
      `  same keys through murmurhash ${versionOf('murmurhash')} (reference only)`,
      'one Uint8Array per key; not the floor of the targets',
    ),
  ]
  for (const kind of kinds) for (const sdk of SDK_IDS) rows.push(sdkRow(cells, sdk, kind, floor))
  return [...rows, ...targetRows(cells, floor)]
}
