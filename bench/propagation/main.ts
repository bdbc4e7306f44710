/**
 * Propagation benchmark: with N connected SDKs (in a separate load-generating process), the time
 * from the admin API call to each SDK having applied the change — p50, p99, max — next to a bare
 * `ws` server broadcasting the same bytes to the same number of clients, rounds interleaved.
 * Also the server's own fan-out time, each load generator's CPU per round, and the server's
 * memory per idle connection. Writes bench/results/latest-propagation.json.
 *
 * Run: npm run bench -- propagation   (or: npx tsx bench/propagation/main.ts 1000 5000 10000)
 *
 * 10,000 SDKs need 10,100 open files in the server and in the load generator each (one socket
 * per connection, plus ~100): `ulimit -n 20000` first. A size that does not fit is reported and
 * skipped, and the part fails. PROPAGATION_CPU_PROF=<dir> profiles the server (node --cpu-prof).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'
import { PROTOCOL } from '../../sdk/core/protocol.ts'
import { fdShortfall } from '../lib/fd-limit.ts'
import { load } from '../lib/machine.ts'
import { cpuMs } from '../lib/proc-cpu.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { adminApi, startServerProcess, waitForLine } from '../lib/server-process.ts'
import { fanOutTotals } from '../lib/server-metrics.ts'
import { median } from '../lib/stats.ts'
import { round, startLoadGen, type Latencies } from './drive.ts'

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
/** Rounds per measurement; the first warms the JIT on both sides and is not counted. */
const ROUNDS = 11
const ADMIN = 'bench-propagation-admin-key-0123456'
const counts = process.argv.slice(2).map(Number).filter((n) => n > 0)
const sizes = counts.length ? counts : [1000, 5000, 10_000]
/** The target: our p99 within this factor of the bare broadcast's, in the same run. */
const TARGET_RATIO = 1.5

const rssKiB = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1])

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const collect = (into: Latencies, got: Latencies) => {
  into.fromReturn.push(...got.fromReturn)
  into.fromSend.push(...got.fromSend)
}

function percentiles(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1)! }
}
const summarise = (l: Latencies) => ({ fromReturn: percentiles(l.fromReturn), fromSend: percentiles(l.fromSend) })

/** Stops both processes and waits for them, so the next measurement does not share the CPU with their exit. */
async function stop(...children: ChildProcess[]) {
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r).kill()) : undefined)))
}

/** `PROPAGATION_CPU_PROF=<dir>`: the server runs with --cpu-prof (written when it exits), to see where its time goes. */
const cpuProf = process.env.PROPAGATION_CPU_PROF

/**
 * One raw protocol client on our server that keeps the last `changes` frame it got: the bare
 * server then broadcasts exactly the bytes ours sent (the coalesced frame, as encoded).
 */
async function frameListener(url: string, key: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream`, [PROTOCOL], { headers: { authorization: `Bearer ${key}` } })
  let last = ''
  ws.on('message', (data) => {
    const text = data.toString()
    if (text.startsWith('{"type":"changes"')) last = text
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  ws.send(JSON.stringify({ type: 'hello', sdk: 'bench-frame-listener' }))
  return { last: () => last, close: () => ws.terminate() }
}

/** Our server with `n` SDKs connected in the load generator; `change(r)` runs round r. */
async function setUpOurs(n: number) {
  const { url, process: server } = await startServerProcess(ADMIN, cpuProf ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', cpuProf] } : {})
  const api = adminApi(url, ADMIN)
  const { secret } = await api('POST', '/api/v1/keys', { name: 'bench', kind: 'server', environment: 'production' })
  await api('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })
  await new Promise((r) => setTimeout(r, 500))
  const rssBefore = rssKiB(server.pid!)
  const { child: gen, connectMs } = await startLoadGen('sdk', url, secret, n)
  await new Promise((r) => setTimeout(r, 1000))
  const rssAfter = rssKiB(server.pid!)
  const listener = await frameListener(url, secret)
  return {
    server,
    gen,
    connectMs,
    perConnectionKiB: (rssAfter - rssBefore) / n,
    fanOut: () => fanOutTotals(url, ADMIN),
    /** Round r; returns the frame the change went out in. */
    async change(r: number): Promise<{ got: Latencies; frame: string }> {
      const enabled = r % 2 === 0
      let fallback = ''
      const got = await round(gen, r, { flag: 'checkout-v2', enabled }, async () => {
        const state = await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled })
        fallback = JSON.stringify({ type: 'changes', changes: [{ type: 'flag', version: state.version, flag: state }] })
      })
      return { got, frame: listener.last() || fallback }
    },
    close: () => listener.close(),
  }
}

/** The bare `ws` server with `n` bare sockets in its own load generator. */
async function setUpBare(n: number) {
  const server = spawn(process.execPath, ['--import', 'tsx', here('./bare-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await waitForLine(server, /listening on (\S+)/)
  const { child: gen } = await startLoadGen('bare', url.replace('http', 'ws'), '', n)
  const loops: number[] = []
  return {
    server,
    gen,
    /** The send loop's time of each counted round, as the bare server measured it. */
    loops,
    change: (r: number, frame: string) =>
      round(gen, r, { flag: '', enabled: true }, async () => {
        const ms = Number(await (await fetch(url + '/broadcast', { method: 'POST', body: frame })).text())
        if (r > 0) loops.push(ms)
      }),
  }
}

/**
 * Both setups up at once, rounds interleaved (ours, then bare with the frame ours just sent):
 * on a shared machine, conditions drift within seconds, and interleaving makes both sides of
 * the ratio see the same ones. Each process still holds at most n + ~100 descriptors.
 */
async function measure(n: number) {
  const ours = await setUpOurs(n)
  const bare = await setUpBare(n)
  const oursLat: Latencies = { fromReturn: [], fromSend: [] }
  const bareLat: Latencies = { fromReturn: [], fromSend: [] }
  const roundRatios: number[] = []
  // Where the time goes: the server's own fan-out and each load generator's CPU (counted rounds).
  let fanBefore = { seconds: 0, count: 0 }
  let cpuBefore = { ours: 0, bare: 0 }
  for (let r = 0; r < ROUNDS; r++) {
    if (r === 1) {
      fanBefore = await ours.fanOut()
      cpuBefore = { ours: cpuMs(ours.gen.pid!), bare: cpuMs(bare.gen.pid!) }
    }
    const { got, frame } = await ours.change(r)
    const floor = await bare.change(r, frame)
    if (r === 0) continue
    collect(oursLat, got)
    collect(bareLat, floor)
    roundRatios.push(percentiles(got.fromSend).p99 / percentiles(floor.fromSend).p99)
  }
  const counted = ROUNDS - 1
  const genCpu = { ours: (cpuMs(ours.gen.pid!) - cpuBefore.ours) / counted, bare: (cpuMs(bare.gen.pid!) - cpuBefore.bare) / counted }
  const fanAfter = await ours.fanOut()
  const fanOutMs = ((fanAfter.seconds - fanBefore.seconds) * 1000) / Math.max(1, fanAfter.count - fanBefore.count)
  ours.close()
  await stop(ours.gen, ours.server, bare.gen, bare.server)
  return {
    ours: summarise(oursLat),
    bare: summarise(bareLat),
    roundRatios,
    fanOutMs,
    bareLoopMs: median(bare.loops),
    genCpu,
    connectMs: ours.connectMs,
    perConnectionKiB: ours.perConnectionKiB,
  }
}

/**
 * The target is judged from the call being sent: both servers start then. From the call
 * returning, the bare server has already queued every send (it answers after), while ours
 * answers once the change is committed and fans out after: that clock flatters the floor.
 */
function target(clock: 'fromReturn' | 'fromSend', ratio: number): string {
  if (clock === 'fromReturn') return '(not the target clock: the bare server answers after queueing every send)'
  return `(target ≤ ${TARGET_RATIO}×${ratio > TARGET_RATIO ? ', MISSED' : ''})`
}

const rows: BenchRow[] = []
const fmt = (x: number) => Math.round(x * 100) / 100
// Checked up front, so a low limit is said at once rather than as a crash minutes in.
const tooMany = new Map(sizes.map((n) => [n, fdShortfall(n)] as const).filter(([, why]) => why !== undefined))
for (const why of tooMany.values()) console.error(`propagation: ${why}`)
for (const n of sizes) {
  const why = tooMany.get(n)
  if (why !== undefined) {
    rows.push({ label: `${n} SDKs: p99`, value: null, unit: 'ms', note: `not run: ${why}` })
    continue
  }
  const m = await measure(n)
  const { ours, bare } = m
  const loadAvg = load()
  for (const [clock, label] of [
    ['fromReturn', 'after the call returned'],
    ['fromSend', 'after the call was sent'],
  ] as const) {
    const o = ours[clock]
    const b = bare[clock]
    console.log(
      `${n} SDKs, ${label}: canary-flags p50 ${fmt(o.p50)} ms, p99 ${fmt(o.p99)} ms, max ${fmt(o.max)} ms | ` +
        `bare ws p50 ${fmt(b.p50)}, p99 ${fmt(b.p99)}, max ${fmt(b.max)} ms | p99 ratio ${fmt(o.p99 / b.p99)}×`,
    )
    rows.push(
      { label: `${n} SDKs, ${label}: p50`, value: fmt(o.p50), unit: 'ms', note: `bare ws ${fmt(b.p50)} ms` },
      { label: `${n} SDKs, ${label}: p99`, value: fmt(o.p99), unit: 'ms', note: `bare ws ${fmt(b.p99)} ms; ratio ${fmt(o.p99 / b.p99)}× ${target(clock, o.p99 / b.p99)}; load ${loadAvg}` },
      { label: `${n} SDKs, ${label}: max`, value: fmt(o.max), unit: 'ms', note: `bare ws ${fmt(b.max)} ms` },
    )
  }
  const perRound = `p99 ratio per round (from the call being sent): median ${fmt(median(m.roundRatios))}×, ${fmt(Math.min(...m.roundRatios))}–${fmt(Math.max(...m.roundRatios))}×`
  const where = `load generator CPU per round: SDKs ${fmt(m.genCpu.ours)} ms, bare sockets ${fmt(m.genCpu.bare)} ms`
  console.log(`${n} SDKs: ${perRound}; server fan-out ${fmt(m.fanOutMs)} ms per change (its own metric), bare send loop ${fmt(m.bareLoopMs)} ms; ${where}`)
  rows.push({ label: `${n} SDKs: server fan-out per change`, value: fmt(m.fanOutMs), unit: 'ms', note: `the server's own metric; the bare server's send loop ${fmt(m.bareLoopMs)} ms; ${where}; ${perRound}` })
  console.log(`${n} SDKs: ${fmt(m.perConnectionKiB)} KiB of server memory per idle connection; all ready in ${fmt(m.connectMs / 1000)} s; load ${loadAvg}`)
  rows.push({ label: `server memory per idle connection (${n})`, value: fmt(m.perConnectionKiB), unit: 'KiB', note: 'RSS delta / connections' })
}
writeResult({
  name: 'propagation',
  title: 'Propagation: admin API call → every SDK applied the change (negative: before the HTTP answer)',
  date: new Date().toISOString(),
  ok: tooMany.size === 0,
  rows,
})
if (tooMany.size > 0) process.exitCode = 1
