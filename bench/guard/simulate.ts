/**
 * Guard decision simulation: drives the project's own `FlagEvidence` (server/guard/decide.ts,
 * via sim-core.ts) with seeded traffic, one simulated second at a time, and measures
 *  - false trips within 1 h and 24 h for canaries at or under a 5% limit (absolute rule), and
 *    for the ratio rule (R = 2) with canaries as good as control or 1.5× control;
 *  - seconds to trip for real regressions, from flag-on and after an hour of healthy traffic.
 *  - latency rows (slow share over the requests that reported a duration): false trips with the
 *    slow share at its limit and with canary = control, a flag with every rule set and every arm
 *    at its limit (the promise is per flag: ≤ 5% over 24 h), and seconds to trip for a canary
 *    whose slow share is 3× control's.
 * Checks the issue's targets and fails the run (exit code 1, `ok: false`) when one is missed.
 * Writes bench/results/latest-guard-sim.json.
 *
 * Run: `npm run bench -- guard` (with the real-server guard bench), or alone:
 * `GUARD_PARTS=simulate npm run bench -- guard`, or `npx tsx bench/guard/simulate.ts`.
 * Knobs: GUARD_SIM_CANARIES (default 1000 per row), GUARD_SIM_WORKERS (default 2, at most the
 * cores), GUARD_SIM_SEED (default 1), GUARD_SIM_ROWS (`errors`, `latency`, default both). Everything is deterministic for a given seed and canary
 * count, whatever the number of workers (each canary has its own seed).
 */
import { availableParallelism, loadavg } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { GuardSettings } from '../../server/guard/decide.ts'
import { buildChild } from '../lib/build.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { mix32, PoissonTable } from './random.ts'
import { CONTROL_MULTIPLE, phaseMeans, type Phase, type Restarts, type Scenario } from './sim-core.ts'
import type { SimTask, SimTaskResult } from './sim-worker.ts'

const here = dirname(fileURLToPath(import.meta.url))

const LIMIT = 0.05
const RATIO = 2
/** With the ratio rule under test alone, the absolute limit is set out of reach. */
const RATIO_ONLY_LIMIT = 0.5
const HEALTHY = LIMIT / 2
const TRAFFIC = [10, 100, 1000] as const
const HOUR = 3600
const DAY = 86_400

const CANARIES = Number(process.env.GUARD_SIM_CANARIES ?? 1000)
const WORKERS = Math.max(1, Math.min(Number(process.env.GUARD_SIM_WORKERS ?? 2), availableParallelism()))
const SEED = Number(process.env.GUARD_SIM_SEED ?? 1)
/** Which rows to run: the error rows, the latency rows, the restart rows (default: all three). */
const ROWS = process.env.GUARD_SIM_ROWS ?? 'errors,latency,restart'

/** Latency rows: a request is slow over 500 ms; the canary's slow share may be 10%, or 2× control's. */
const SLOW_LIMIT = 0.1
const SLOW_RATIO = 2
const LATENCY = { slowerThanMs: 500 }

type Target = { max: number; what: string }

interface FalseTripRow {
  kind: 'false'
  table: 'absolute' | 'ratio' | 'latency' | 'restart'
  /** Row and column of the printed table. */
  line: string
  rate: number
  scenario: Scenario
  /** The issue's target on the 24 h figure, as a fraction. */
  target?: Target
}

interface TimeRow {
  kind: 'time'
  table: 'errors' | 'latency' | 'restart'
  line: string
  rate: number
  scenario: Scenario
  /** Healthy seconds before the regression (0: from flag-on). */
  warmup: number
  /** The issue's target on the p95, seconds. */
  target?: Target
}

type Row = FalseTripRow | TimeRow

const pct = (x: number) => `${+(x * 100).toFixed(2)}%`
const perSecond = (rate: number) => `${rate.toLocaleString('en-US')}/s`

function streamOf(id: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
  return mix32(h ^ mix32(SEED))
}

function scenario(id: string, settings: GuardSettings, rate: number, phases: Phase[], horizon: number, restarts?: Restarts): Scenario {
  return { id, stream: streamOf(id), settings, exposuresPerSecond: rate, phases, horizon, canaries: CANARIES, ...(restarts ? { restarts } : {}) }
}

/** Restart rows: a `kill -9` at these intervals; a kill loses the last 2 s of counts when the evidence is kept. */
const RESTART_EVERY = { false: HOUR, time: 600 }
/** The slow regression of the restart rows: 1.2× the limit, which takes minutes to prove at low traffic. */
const SLOW_REGRESSION = 1.2 * LIMIT
const LOST_SECONDS = 2

/**
 * The evidence across restarts, kept (stored and resumed, as the server does) against forgotten
 * (the tests start afresh at every restart, as the embedded default did before): false trips of a
 * canary at its limit restarted every hour for a day, and seconds to trip for a canary at 1.2×
 * its limit restarted every 10 minutes. Both variants of a cell draw the same traffic (the id
 * that seeds it is the same but for the variant), so the difference is the restarts' handling.
 */
function restartRows(): Row[] {
  const out: Row[] = []
  for (const kept of [true, false])
    for (const rate of TRAFFIC) {
      const how = kept ? 'kept (resumed, last 2 s of counts lost)' : 'forgotten (tests start afresh)'
      out.push({
        kind: 'false',
        table: 'restart',
        line: `at the limit (${pct(LIMIT)}), kill -9 every hour, evidence ${how}`,
        rate,
        scenario: {
          ...scenario(`restart-false-${kept}-${rate}`, { maxErrorRate: LIMIT }, rate, [{ seconds: DAY, canaryErrorRate: LIMIT, controlErrorRate: LIMIT }], DAY, {
            everySeconds: RESTART_EVERY.false,
            kept,
            lostSeconds: LOST_SECONDS,
          }),
          stream: streamOf(`restart-false-${rate}`),
        },
        ...(kept ? { target: { max: 0.05, what: 'at the limit, restarted every hour, evidence kept: ≤ 5% false trips over 24 h' } } : {}),
      })
      out.push({
        kind: 'time',
        table: 'restart',
        line: `${pct(SLOW_REGRESSION)} errors (1.2× the limit), kill -9 every 10 min, evidence ${how}`,
        rate,
        warmup: 0,
        scenario: {
          ...scenario(`restart-time-${kept}-${rate}`, { maxErrorRate: LIMIT }, rate, [{ seconds: DAY, canaryErrorRate: SLOW_REGRESSION, controlErrorRate: HEALTHY }], DAY, {
            everySeconds: RESTART_EVERY.time,
            kept,
            lostSeconds: LOST_SECONDS,
          }),
          stream: streamOf(`restart-time-${rate}`),
        },
      })
    }
  return out
}

/**
 * The latency rows, through the same decision module: every request reports a duration; errors
 * at a healthy 1% where only latency is under study (the error-rate rule is required, so every
 * latency flag runs at least two rules and splits its budget).
 */
function latencyRows(): Row[] {
  const out: Row[] = []
  const day = (canarySlowRate: number, controlSlowRate: number, canaryErrorRate = 0.01, controlErrorRate = 0.01): Phase[] => [
    { seconds: DAY, canaryErrorRate, controlErrorRate, canarySlowRate, controlSlowRate },
  ]
  for (const rate of TRAFFIC) {
    out.push({
      kind: 'false',
      table: 'latency',
      line: `slow share at its limit (${pct(SLOW_LIMIT)}; maxSlowRate ${SLOW_LIMIT})`,
      rate,
      scenario: scenario(`lat-abs-${rate}`, { maxErrorRate: LIMIT, latency: { ...LATENCY, maxSlowRate: SLOW_LIMIT } }, rate, day(SLOW_LIMIT, SLOW_LIMIT), DAY),
      target: { max: 0.05, what: 'slow share at the limit ≤ 5% false trips over 24 h' },
    })
    out.push({
      kind: 'false',
      table: 'latency',
      line: `canary = control (both 5% slow; maxSlowRatioToControl ${SLOW_RATIO})`,
      rate,
      scenario: scenario(`lat-eq-${rate}`, { maxErrorRate: LIMIT, latency: { ...LATENCY, maxSlowRatioToControl: SLOW_RATIO } }, rate, day(0.05, 0.05), DAY),
      target: { max: 0.01, what: 'slow shares equal ≤ 1% false trips over 24 h' },
    })
    out.push({
      kind: 'false',
      table: 'latency',
      line: 'every rule set, every arm at its limit (errors 5% = 2× 2.5%; slow 10% = 2× 5%)',
      rate,
      scenario: scenario(
        `lat-all-${rate}`,
        { maxErrorRate: LIMIT, maxRatioToControl: RATIO, latency: { ...LATENCY, maxSlowRate: SLOW_LIMIT, maxSlowRatioToControl: SLOW_RATIO } },
        rate,
        day(SLOW_LIMIT, SLOW_LIMIT / SLOW_RATIO, LIMIT, LIMIT / RATIO),
        DAY,
      ),
      target: { max: 0.05, what: 'a flag with every rule at its limit ≤ 5% false trips over 24 h' },
    })
  }
  const settings: GuardSettings = { maxErrorRate: LIMIT, latency: { ...LATENCY, maxSlowRatioToControl: SLOW_RATIO } }
  for (const warm of [false, true])
    for (const rate of TRAFFIC) {
      const bad: Phase = { seconds: DAY, canaryErrorRate: 0.01, controlErrorRate: 0.01, canarySlowRate: 0.15, controlSlowRate: 0.05 }
      const healthy: Phase = { seconds: HOUR, canaryErrorRate: 0.01, controlErrorRate: 0.01, canarySlowRate: 0.05, controlSlowRate: 0.05 }
      out.push({
        kind: 'time',
        table: 'latency',
        line: `slow share 3× control (5% → 15%; R = ${SLOW_RATIO}), ${warm ? 'after 1 h with canary = control' : 'from flag-on'}`,
        rate,
        warmup: warm ? HOUR : 0,
        scenario: scenario(`lat-time-${warm}-${rate}`, settings, rate, warm ? [healthy, bad] : [bad], (warm ? HOUR : 0) + DAY),
      })
    }
  return out
}

function rows(): Row[] {
  return [
    ...(ROWS.includes('errors') ? errorRows() : []),
    ...(ROWS.includes('latency') ? latencyRows() : []),
    ...(ROWS.includes('restart') ? restartRows() : []),
  ]
}

function errorRows(): Row[] {
  const out: Row[] = []
  for (const p of [0.04, 0.045, 0.05])
    for (const rate of TRAFFIC)
      out.push({
        kind: 'false',
        table: 'absolute',
        line: `true rate ${pct(p)}`,
        rate,
        scenario: scenario(`abs-${p}-${rate}`, { maxErrorRate: LIMIT }, rate, [{ seconds: DAY, canaryErrorRate: p, controlErrorRate: p }], DAY),
        ...(p === LIMIT
          ? { target: { max: 0.05, what: 'at the limit ≤ 5% false trips over 24 h' } }
          : Math.abs(p - 0.9 * LIMIT) < 1e-12
            ? { target: { max: 0.01, what: 'at 90% of the limit ≤ 1% over 24 h' } }
            : {}),
      })
  for (const control of [0.01, 0.001])
    for (const multiple of [1, 1.5])
      for (const rate of TRAFFIC)
        out.push({
          kind: 'false',
          table: 'ratio',
          line: `control ${pct(control)}, canary ${multiple === 1 ? '= control' : `${multiple}× control`}`,
          rate,
          scenario: scenario(
            `ratio-${control}-${multiple}-${rate}`,
            { maxErrorRate: RATIO_ONLY_LIMIT, maxRatioToControl: RATIO },
            rate,
            [{ seconds: DAY, canaryErrorRate: control * multiple, controlErrorRate: control }],
            DAY,
          ),
          target:
            multiple === 1
              ? { max: 0.01, what: 'ratio rule without regression ≤ 1% over 24 h' }
              : { max: 0.05, what: 'ratio under R (1.5 < 2): the 5% guarantee over 24 h' },
        })
  const regressions: { name: string; settings: GuardSettings; healthy: Phase; bad: Omit<Phase, 'seconds'>; id: string }[] = [
    ...[0.1, 0.2].map((p) => ({
      name: `${pct(p)} errors`,
      id: `p${p}`,
      settings: { maxErrorRate: LIMIT },
      healthy: { seconds: HOUR, canaryErrorRate: HEALTHY, controlErrorRate: HEALTHY },
      bad: { canaryErrorRate: p, controlErrorRate: HEALTHY },
    })),
    {
      name: '3× control (1% → 3%)',
      id: 'ratio3',
      settings: { maxErrorRate: LIMIT, maxRatioToControl: RATIO },
      healthy: { seconds: HOUR, canaryErrorRate: 0.01, controlErrorRate: 0.01 },
      bad: { canaryErrorRate: 0.03, controlErrorRate: 0.01 },
    },
  ]
  for (const r of regressions)
    for (const warm of [false, true])
      for (const rate of TRAFFIC) {
        const bad: Phase = { seconds: DAY, ...r.bad }
        const target =
          r.id === 'p0.1' && rate === 100
            ? warm
              ? { max: 15, what: '10% at 100/s tripped within 15 s (p95) after a healthy hour' }
              : { max: 6, what: '10% at 100/s tripped within 6 s (p95) from flag-on' }
            : undefined
        out.push({
          kind: 'time',
          table: 'errors',
          line: `${r.name}, ${warm ? `after 1 h at ${pct(r.healthy.canaryErrorRate)}` : 'from flag-on'}`,
          rate,
          warmup: warm ? HOUR : 0,
          scenario: scenario(`time-${r.id}-${warm}-${rate}`, r.settings, rate, warm ? [r.healthy, bad] : [bad], (warm ? HOUR : 0) + DAY),
          ...(target ? { target } : {}),
        })
      }
  return out
}

/** Refuses the run when a sampler's table is not the Poisson distribution it stands for. */
function verifySamplers(all: Row[]): void {
  for (const row of all)
    for (const phase of row.scenario.phases) {
      for (const mean of phaseMeans(row.scenario, phase)) {
        const m = new PoissonTable(mean).moments()
        if (Math.abs(m.mean - mean) > 1e-9 * Math.max(1, mean) || Math.abs(m.variance - mean) > 1e-6 * Math.max(1, mean))
          throw new Error(`Poisson table for mean ${mean} has mean ${m.mean}, variance ${m.variance}`)
      }
    }
}

interface Outcome {
  tripAt: Int32Array
  rule: Int8Array
}

async function runAll(all: Row[], workerFile: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = all.map(() => ({ tripAt: new Int32Array(CANARIES), rule: new Int8Array(CANARIES) }))
  // Chunks: a day of 1,000/s canaries is ~0.3 s of CPU per canary, so 10 per chunk keeps both
  // workers busy to the end. Most expensive first (the ratio rule at high traffic).
  const tasks: (SimTask & { row: number; cost: number })[] = []
  all.forEach((row, r) => {
    const chunk = row.kind === 'false' ? 10 : 100
    const rules = 1 + (row.scenario.settings.maxRatioToControl ? 1 : 0) + (row.scenario.settings.latency ? 2 : 0)
    const cost = (row.kind === 'false' ? row.scenario.horizon : row.warmup + 600) * rules
    for (let from = 0; from < CANARIES; from += chunk)
      tasks.push({ task: tasks.length, row: r, scenario: row.scenario, from, to: Math.min(CANARIES, from + chunk), cost: cost * (Math.min(CANARIES, from + chunk) - from) })
  })
  const queue = [...tasks].sort((a, b) => b.cost - a.cost)
  const remaining = all.map((_, r) => tasks.filter((t) => t.row === r).length)
  let done = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: WORKERS }, () => {
      const worker = new Worker(workerFile)
      return new Promise<void>((resolve, reject) => {
        const next = () => {
          const task = queue.shift()
          if (task === undefined) {
            void worker.terminate().then(() => resolve())
            return
          }
          const { row: _row, cost: _cost, ...message } = task
          worker.postMessage(message)
        }
        worker.on('message', (result: SimTaskResult) => {
          const task = tasks[result.task]!
          outcomes[task.row]!.tripAt.set(result.tripAt, task.from)
          outcomes[task.row]!.rule.set(result.rule, task.from)
          done++
          if (--remaining[task.row]! === 0)
            process.stderr.write(`  guard-sim: ${all[task.row]!.scenario.id} done (${done}/${tasks.length} chunks, ${((performance.now() - started) / 1000).toFixed(0)} s)\n`)
          next()
        })
        worker.on('error', reject)
        worker.on('exit', (code) => {
          if (code !== 0 && code !== 1) reject(new Error(`simulation worker exited with ${code}`))
        })
        next()
      })
    }),
  )
  return outcomes
}

/** Wilson 95% interval of a proportion, for the Monte Carlo uncertainty. */
function wilson(k: number, n: number): [number, number] {
  const z = 1.96
  const p = k / n
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n)
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n)
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

/** Nearest-rank quantile of sorted values (Infinity = never tripped). */
const rank = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!

interface Measured {
  row: Row
  cell: string
  value: number | null
  unit: string
  note: string
  met: boolean | null
}

function measure(row: Row, outcome: Outcome): Measured {
  const n = outcome.tripAt.length
  // A trip that `wouldTrip` reported must be a trip for `decision()` too.
  for (let i = 0; i < n; i++)
    if (outcome.tripAt[i]! > 0 && outcome.rule[i] === 0)
      throw new Error(`${row.scenario.id}: canary ${i} tripped by wouldTrip() but decision() says no trip`)
  if (row.kind === 'false') {
    let hour = 0
    let day = 0
    let byRatio = 0
    const byRule = [0, 0, 0, 0, 0]
    for (let i = 0; i < n; i++) {
      const t = outcome.tripAt[i]!
      if (t > 0 && t <= HOUR) hour++
      if (t > 0 && t <= DAY) day++
      if (t > 0 && outcome.rule[i] === 2) byRatio++
      if (t > 0) byRule[outcome.rule[i]!]!++
    }
    const [lo, hi] = wilson(day, n)
    const met = row.target ? day / n <= row.target.max : null
    const rules =
      row.table === 'ratio' && day > 0
        ? `, ${byRatio} by the ratio rule`
        : row.table === 'latency' && day > 0
          ? `, by rule (errors, error ratio, slow share, slow ratio): ${byRule.slice(1).join('/')}`
          : ''
    return {
      row,
      cell: `${pct(hour / n)} / ${pct(day / n)}`,
      value: +((day / n) * 100).toFixed(2),
      unit: '%',
      note: `1 h: ${pct(hour / n)} (${hour}/${n}); 24 h: ${day}/${n}${rules}, 95% CI ${pct(lo)}–${pct(hi)}${row.target ? `; target ≤ ${pct(row.target.max)}: ${met ? 'met' : 'MISSED'}` : ''}`,
      met,
    }
  }
  let early = 0
  const times: number[] = []
  const rules = [0, 0, 0, 0, 0]
  for (let i = 0; i < n; i++) {
    const t = outcome.tripAt[i]!
    if (t > 0 && t <= row.warmup) early++
    else {
      times.push(t > 0 ? t - row.warmup : Infinity)
      rules[outcome.rule[i]!]!++
    }
  }
  times.sort((a, b) => a - b)
  const median = rank(times, 0.5)
  const p95 = rank(times, 0.95)
  // Order-statistic 95% interval of the p95 (binomial ranks).
  const m = times.length
  const spread = 1.96 * Math.sqrt(m * 0.95 * 0.05)
  const ci = [times[Math.max(0, Math.floor(0.95 * m - spread) - 1)]!, times[Math.min(m - 1, Math.ceil(0.95 * m + spread) - 1)]!]
  const show = (s: number) => (Number.isFinite(s) ? `${s}` : `> ${DAY}`)
  const met = row.target ? p95 <= row.target.max : null
  const ruleNote = row.scenario.settings.latency
    ? `; slow ratio rule ${rules[4]}, slow share ${rules[3]}, errors ${rules[1]}`
    : row.scenario.settings.maxRatioToControl
      ? `; ratio rule ${rules[2]}, absolute ${rules[1]}`
      : ''
  return {
    row,
    cell: `${show(median)} / ${show(p95)}`,
    value: Number.isFinite(p95) ? p95 : null,
    unit: 's',
    note:
      `median ${show(median)} s, p95 95% CI ${show(ci[0]!)}–${show(ci[1]!)} s; ${m} canaries` +
      (early > 0 ? ` (${early} more tripped during the healthy hour)` : '') +
      ruleNote +
      (row.target ? `; target ≤ ${row.target.max} s: ${met ? 'met' : 'MISSED'}` : ''),
    met,
  }
}

function markdownTable(title: string, measured: Measured[]): string {
  const lines = [...new Set(measured.map((m) => m.row.line))]
  const head = `| ${title} | ${TRAFFIC.map(perSecond).join(' | ')} |`
  const rule = `| --- | ${TRAFFIC.map(() => '---:').join(' | ')} |`
  const body = lines.map((line) => `| ${line} | ${TRAFFIC.map((rate) => measured.find((m) => m.row.line === line && m.row.rate === rate)?.cell ?? '—').join(' | ')} |`)
  return [head, rule, ...body].join('\n')
}

/** Runs the simulation, prints its tables, writes latest-guard-sim.json; returns whether every target was met. */
export async function runSimulation(): Promise<boolean> {
  if (!Number.isInteger(CANARIES) || CANARIES < 20) throw new Error('GUARD_SIM_CANARIES must be an integer ≥ 20')
  const all = rows()
  verifySamplers(all)
  const workerFile = await buildChild(join(here, 'sim-worker.ts'), 'guard-sim')
  const started = performance.now()
  const cpuBefore = process.cpuUsage() // the whole process: worker threads included
  const outcomes = await runAll(all, workerFile)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  const measured = all.map((row, i) => measure(row, outcomes[i]!))
  const simulated = all.reduce((sum, row, i) => sum + outcomes[i]!.tripAt.reduce((s, t) => s + (t > 0 ? t : row.scenario.horizon), 0), 0)

  const section = (title: string, rowsOf: Measured[]) => (rowsOf.length === 0 ? [] : [title, '', markdownTable('canary exposures/s →', rowsOf), ''])
  const tables = [
    ...section(
      `False trips, absolute rule (limit ${pct(LIMIT)}), within 1 h / within 24 h, ${CANARIES} canaries per cell:`,
      measured.filter((m) => m.row.kind === 'false' && m.row.table === 'absolute'),
    ),
    ...section(
      `False trips, ratio rule (maxRatioToControl ${RATIO}, maxErrorRate ${RATIO_ONLY_LIMIT} so only the ratio rule acts; control gets ${CONTROL_MULTIPLE}× the canary's exposures), within 1 h / within 24 h:`,
      measured.filter((m) => m.row.kind === 'false' && m.row.table === 'ratio'),
    ),
    ...section(
      `Seconds to trip, median / p95 (limit ${pct(LIMIT)}; the 3× rows also have maxRatioToControl ${RATIO}), ${CANARIES} canaries per cell:`,
      measured.filter((m) => m.row.kind === 'time' && m.row.table === 'errors'),
    ),
    ...section(
      `Latency, false trips within 1 h / within 24 h (slow = over 500 ms, every request timed; maxErrorRate ${pct(LIMIT)} with 1% errors unless said; control gets ${CONTROL_MULTIPLE}× the canary's exposures), ${CANARIES} canaries per cell:`,
      measured.filter((m) => m.row.kind === 'false' && m.row.table === 'latency'),
    ),
    ...section(
      `Latency, seconds to trip, median / p95 (maxSlowRatioToControl ${SLOW_RATIO}, maxErrorRate ${pct(LIMIT)}, 1% errors in both arms), ${CANARIES} canaries per cell:`,
      measured.filter((m) => m.row.kind === 'time' && m.row.table === 'latency'),
    ),
    ...section(
      `Restarts: false trips within 1 h / within 24 h (kill -9 every hour) and seconds to trip, median / p95 (kill -9 every 10 min), evidence kept vs forgotten (limit ${pct(LIMIT)}), ${CANARIES} canaries per cell:`,
      measured.filter((m) => m.row.table === 'restart'),
    ),
  ].join('\n')
  console.log(`\n${tables}\n`)

  const targets = measured.filter((m) => m.row.target)
  for (const m of targets)
    console.log(`${m.met ? 'met   ' : 'MISSED'}  ${m.row.target!.what} — ${m.row.line}, ${perSecond(m.row.rate)}: ${m.cell}`)
  const ok = targets.every((m) => m.met)
  const runTime = `${seconds.toFixed(0)} s on ${WORKERS} worker(s), ${cpuSeconds.toFixed(0)} s CPU, ${(simulated / 1e6).toFixed(0)} M simulated canary-seconds, load average ${loadavg()[0]!.toFixed(1)}`
  console.log(`\nsimulation: ${runTime}${ok ? '' : '\nsimulation: a target was MISSED'}`)

  const label = (m: Measured) =>
    m.row.kind === 'false'
      ? `${m.row.table === 'ratio' ? `ratio R=${RATIO}: ` : m.row.table === 'latency' ? 'latency: ' : m.row.table === 'restart' ? 'restarts: ' : ''}false trips 24 h, ${m.row.line}, ${perSecond(m.row.rate)}`
      : `p95 to trip, ${m.row.line}, ${perSecond(m.row.rate)}`
  const resultRows: BenchRow[] = [
    ...measured.map((m) => ({ label: label(m), value: m.value, unit: m.unit, note: m.note })),
    { label: 'simulation run time', value: Math.round(seconds), unit: 's', note: `${runTime}; seed ${SEED}` },
  ]
  writeResult({ name: 'guard-sim', title: `Guard: decision simulation (limit ${pct(LIMIT)}, ${CANARIES} canaries per row)`, date: new Date().toISOString(), ok, rows: resultRows })
  return ok
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!(await runSimulation())) process.exitCode = 1
}
