/**
 * Propagation benchmark: with N connected SDKs (in a separate load-generating process), the time
 * from the admin API call returning to each SDK having applied the change — p50, p99, max — next
 * to a bare `ws` server broadcasting the same bytes to the same number of clients. Also the
 * server's memory per idle connection. Writes bench/results/latest-propagation.json.
 *
 * Run: npm run bench -- propagation   (or: npx tsx bench/propagation/main.ts 1000 5000)
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { adminApi, startServerProcess, waitForLine } from '../lib/server-process.ts'
import { fileURLToPath } from 'node:url'

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
/** Rounds per measurement; the first warms the JIT on both sides and is not counted. */
const ROUNDS = 6
const ADMIN = 'bench-propagation-admin-key-0123456'
const counts = process.argv.slice(2).map(Number).filter((n) => n > 0)
const sizes = counts.length ? counts : [1000, 5000]
const now = () => performance.timeOrigin + performance.now()

const rssKiB = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1])

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** Starts the load generator and resolves once all its connections are ready. */
async function loadGen(mode: 'sdk' | 'bare', url: string, key: string, n: number) {
  const child = fork(here('./load-gen.ts'), [mode, url, key, String(n)], { execArgv: ['--import', 'tsx'] })
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string }) => m.type === 'ready' && resolve())
    child.once('exit', (code) => reject(new Error(`load generator exited ${code}`)))
  })
  return child
}

/** One round: announce, trigger, and collect each client's arrival time minus the trigger's return. */
async function round(gen: ChildProcess, roundNo: number, expect: { flag: string; enabled: boolean }, trigger: () => Promise<void>) {
  const arrivals = new Promise<number[]>((resolve) => {
    const onMessage = (m: { type: string; round: number; arrivals: number[] }) => {
      if (m.type === 'arrivals' && m.round === roundNo) {
        gen.off('message', onMessage)
        resolve(m.arrivals)
      }
    }
    gen.on('message', onMessage)
  })
  gen.send({ type: 'expect', round: roundNo, ...expect })
  await new Promise((r) => setTimeout(r, 200))
  const sent = now()
  await trigger()
  const returned = now()
  const times = await arrivals
  return { fromReturn: times.map((t) => t - returned), fromSend: times.map((t) => t - sent) }
}

/** Both clocks: from the call returning (the measure) and from the call being sent. */
type Latencies = { fromReturn: number[]; fromSend: number[] }
const collect = (into: Latencies, got: Latencies) => {
  into.fromReturn.push(...got.fromReturn)
  into.fromSend.push(...got.fromSend)
}

function percentiles(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1)! }
}
const summarise = (l: Latencies) => ({ fromReturn: percentiles(l.fromReturn), fromSend: percentiles(l.fromSend) })

async function measureOurs(n: number) {
  const { url, process: server } = await startServerProcess(ADMIN)
  const api = adminApi(url, ADMIN)
  const { secret } = await api('POST', '/api/v1/keys', { name: 'bench', kind: 'server', environment: 'production' })
  await api('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })
  await new Promise((r) => setTimeout(r, 500))
  const rssBefore = rssKiB(server.pid!)
  const gen = await loadGen('sdk', url, secret, n)
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
  gen.kill()
  server.kill()
  return { ...summarise(latencies), perConnectionKiB: (rssAfter - rssBefore) / n, frame }
}

async function measureBare(n: number, frame: string) {
  const server = spawn(process.execPath, ['--import', 'tsx', here('./bare-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await waitForLine(server, /listening on (\S+)/)
  const gen = await loadGen('bare', url.replace('http', 'ws'), '', n)
  const latencies: Latencies = { fromReturn: [], fromSend: [] }
  for (let r = 0; r < ROUNDS; r++) {
    const got = await round(gen, r, { flag: '', enabled: true }, async () => {
      await fetch(url + '/broadcast', { method: 'POST', body: frame })
    })
    if (r > 0) collect(latencies, got)
  }
  gen.kill()
  server.kill()
  return summarise(latencies)
}

const rows: BenchRow[] = []
const fmt = (x: number) => Math.round(x * 100) / 100
for (const n of sizes) {
  const ours = await measureOurs(n)
  const bare = await measureBare(n, ours.frame)
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
      { label: `${n} SDKs, ${label}: p99`, value: fmt(o.p99), unit: 'ms', note: `bare ws ${fmt(b.p99)} ms; ratio ${fmt(o.p99 / b.p99)}× (target ≤ 2×)` },
      { label: `${n} SDKs, ${label}: max`, value: fmt(o.max), unit: 'ms', note: `bare ws ${fmt(b.max)} ms` },
    )
  }
  console.log(`${n} SDKs: ${fmt(ours.perConnectionKiB)} KiB of server memory per idle connection`)
  rows.push({ label: `server memory per idle connection (${n})`, value: fmt(ours.perConnectionKiB), unit: 'KiB', note: 'RSS delta / connections' })
}
writeResult({
  name: 'propagation',
  title: 'Propagation: admin API call → every SDK applied the change (negative: before the HTTP answer)',
  date: new Date().toISOString(),
  ok: true,
  rows,
})
