import { performance } from 'node:perf_hooks'
import { compileFlag, LIMITS, rulesetFromSnapshot } from '../../sdk/core/index.ts'
import type { FlagState } from '../../sdk/core/types.ts'
import { diffResults, resultsFor } from '../../server/stream/client-results.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { median } from '../lib/stats.ts'
import { hostileText, worstAcceptedFlag } from './worst-flag.ts'

/**
 * `npm run bench -- isolation`: the bounds of issue 10.
 * - The worst accepted flag against a 10 KB attribute (target < 50 µs), in the SDK (the core as
 *   a server-key SDK runs it) and in the server (client-key evaluation over its compiled rules);
 *   and, for honesty, against an attribute just at the length limit, where patterns really run.
 * - A client-key `identify` with 10,000 flags of which 1,000 are client-visible (target < 1 ms
 *   of server CPU): evaluation, the diff and serialising the frame.
 * Each figure is the median of many calls with a different user each time (no cache helps).
 */

/** Median µs per call of `run(i)`, over `rounds` rounds of `perRound` calls. */
function timeMicros(run: (i: number) => void, rounds: number, perRound: number): { median: number; samples: number[] } {
  for (let i = 0; i < perRound * 2; i++) run(i) // warm-up: JIT, regex DFA start states
  const samples: number[] = []
  let n = perRound * 2
  for (let r = 0; r < rounds; r++) {
    const start = performance.now()
    for (let i = 0; i < perRound; i++) run(n++)
    samples.push(((performance.now() - start) * 1000) / perRound)
  }
  return { median: median(samples), samples }
}

const rows: BenchRow[] = []
let ok = true
const target = (label: string, value: number, unit: string, bound: number, note: string) => {
  if (!(value < bound)) ok = false
  rows.push({ label, value, unit, note: `${value < bound ? 'within' : 'OVER'} the bound of ${bound} ${unit}; ${note}` })
}

// 1. The worst accepted flag.
const worst = worstAcceptedFlag()
const compiled = compileFlag(worst, new Map())
const tenKb = Array.from({ length: 64 }, (_, i) => hostileText(10 * 1024, i + 1))
const atLimit = Array.from({ length: 64 }, (_, i) => hostileText(LIMITS.maxTextLength, i + 1))
const sdk10k = timeMicros((i) => compiled.evaluate({ userId: `u${i}`, name: tenKb[i % 64]! }), 30, 200)
target('worst flag, 10 KB attribute (SDK)', sdk10k.median, 'µs', 50, `${worst.cohorts.length} cohorts; values over ${LIMITS.maxTextLength} chars fail closed`)
const ruleset = rulesetFromSnapshot({ environment: 'bench', version: 1, flags: [worst], segments: [] })
const visibleWorst = new Set(['worst'])
const server10k = timeMicros((i) => resultsFor(ruleset, visibleWorst, { userId: `u${i}`, name: tenKb[i % 64]! }), 30, 200)
target('worst flag, 10 KB attribute (server)', server10k.median, 'µs', 50, 'client-key evaluation path')
const sdkLimit = timeMicros((i) => compiled.evaluate({ userId: `u${i}`, name: atLimit[i % 64]! }), 10, 5)
rows.push({
  label: `worst flag, ${LIMITS.maxTextLength}-char attribute (SDK)`,
  value: sdkLimit.median,
  unit: 'µs',
  note: 'the real worst case: a value at the length limit is scanned by every pattern (no bound set by the issue)',
  samples: sdkLimit.samples,
})

// 2. identify at 10,000 flags, 1,000 client-visible.
const flags: FlagState[] = Array.from({ length: 10_000 }, (_, i) => ({
  key: `flag-${i}`,
  enabled: i % 10 !== 9,
  salt: `flag-${i}`,
  stickiness: 'userId',
  clientSide: i % 10 === 0,
  version: 1,
  cohorts: [
    { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: Array.from({ length: 20 }, (_, j) => `beta-${i}-${j}`) }], rollout: 100 },
    { name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west', 'eu-central'] }], rollout: 25 },
    { name: 'staff', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }], rollout: 100 },
  ],
}))
const big = rulesetFromSnapshot({ environment: 'bench', version: 1, flags, segments: [] })
const visible = new Set(flags.filter((f) => f.clientSide).map((f) => f.key))
const identify = timeMicros(
  (i) => {
    const user = { userId: `user-${i}`, region: i % 2 ? 'eu-west' : 'us-east', email: `user-${i}@mail.test` }
    const next = resultsFor(big, visible, user)
    const diff = diffResults(new Map(), new Map(), next, next.keys())
    JSON.stringify({ type: 'results', version: big.version, full: true, results: diff })
  },
  20,
  20,
)
target('identify, 10,000 flags / 1,000 client-visible', identify.median / 1000, 'ms', 1, 'evaluate + diff + serialise, server CPU per identify')

writeResult({ name: 'isolation', title: 'Isolation bounds (issue 10)', date: new Date().toISOString(), ok, rows })
for (const row of rows) console.log(`${row.label.padEnd(48)} ${row.value?.toFixed(2).padStart(9)} ${row.unit}  ${row.note}`)
if (!ok) process.exitCode = 1
