/**
 * Propagation benchmark: with N connected SDKs (in a separate load-generating process), the time
 * from the admin API call returning to each SDK having applied the change — p50, p99, max — next
 * to a bare `ws` server broadcasting the same bytes to the same number of clients. Also the
 * server's memory per idle connection. Writes bench/results/latest-propagation.json.
 *
 * Run: npm run bench -- propagation   (or: npx tsx bench/propagation/main.ts 1000 5000 10000)
 *
 * 10,000 SDKs need 10,100 open files in the server and in the load generator each (one socket
 * per connection, plus ~100): `ulimit -n 20000` first. A size that does not fit is reported and
 * skipped, and the part fails.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { fdShortfall } from '../lib/fd-limit.ts'
import { load } from '../lib/machine.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { adminApi, startServerProcess, waitForLine } from '../lib/server-process.ts'
import { round, startLoadGen, type Latencies } from './drive.ts'

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
/** Rounds per measurement; the first warms the JIT on both sides and is not counted. */
const ROUNDS = 6
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

async function measureOurs(n: number) {
  const { url, process: server } = await startServerProcess(ADMIN)
  const api = adminApi(url, ADMIN)
  const { secret } = await api('POST', '/api/v1/keys', { name: 'bench', kind: 'server', environment: 'production' })
  await api('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })
  await new Promise((r) => setTimeout(r, 500))
  const rssBefore = rssKiB(server.pid!)
  const { child: gen, connectMs } = await startLoadGen('sdk', url, secret, n)
  await new Promise((r) => setTimeout(r, 1000))
  const rssAfter = rssKiB(server.pid!)
  const latencies: Latencies = { fromReturn: [], fromSend: [] }
  let frame = ''
  for (let r = 0; r < ROUNDS; r++) {
    const enabled = r % 2 === 0
    const got = await round(gen, r, { flag: 'checkout-v2', enabled }, async () => {
      const state = await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled })
      frame = JSON.stringify({ type: 'changes', changes: [{ type: 'flag', version: state.version, flag: state }] })
    })
    if (r > 0) collect(latencies, got)
  }
  await stop(gen, server)
  return { ...summarise(latencies), perConnectionKiB: (rssAfter - rssBefore) / n, frame, connectMs }
}

async function measureBare(n: number, frame: string) {
  const server = spawn(process.execPath, ['--import', 'tsx', here('./bare-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await waitForLine(server, /listening on (\S+)/)
  const { child: gen } = await startLoadGen('bare', url.replace('http', 'ws'), '', n)
  const latencies: Latencies = { fromReturn: [], fromSend: [] }
  for (let r = 0; r < ROUNDS; r++) {
    const got = await round(gen, r, { flag: '', enabled: true }, async () => {
      await fetch(url + '/broadcast', { method: 'POST', body: frame })
    })
    if (r > 0) collect(latencies, got)
  }
  await stop(gen, server)
  return summarise(latencies)
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
  const ours = await measureOurs(n)
  const bare = await measureBare(n, ours.frame)
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
      { label: `${n} SDKs, ${label}: p99`, value: fmt(o.p99), unit: 'ms', note: `bare ws ${fmt(b.p99)} ms; ratio ${fmt(o.p99 / b.p99)}× (target ≤ ${TARGET_RATIO}×${o.p99 / b.p99 > TARGET_RATIO ? ', MISSED' : ''}); load ${loadAvg}` },
      { label: `${n} SDKs, ${label}: max`, value: fmt(o.max), unit: 'ms', note: `bare ws ${fmt(b.max)} ms` },
    )
  }
  console.log(`${n} SDKs: ${fmt(ours.perConnectionKiB)} KiB of server memory per idle connection; all ready in ${fmt(ours.connectMs / 1000)} s; load ${loadAvg}`)
  rows.push({ label: `server memory per idle connection (${n})`, value: fmt(ours.perConnectionKiB), unit: 'KiB', note: 'RSS delta / connections' })
}
writeResult({
  name: 'propagation',
  title: 'Propagation: admin API call → every SDK applied the change (negative: before the HTTP answer)',
  date: new Date().toISOString(),
  ok: tooMany.size === 0,
  rows,
})
if (tooMany.size > 0) process.exitCode = 1
