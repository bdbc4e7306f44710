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
  await trigger()
  const returned = now()
  return (await arrivals).map((t) => t - returned)
}

function summarise(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1)! }
}

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
  const latencies: number[] = []
  let frame = ''
  for (let r = 0; r < ROUNDS; r++) {
    const enabled = r % 2 === 0
    const counted = r > 0 ? latencies : []
    counted.push(
      ...(await round(gen, r, { flag: 'checkout-v2', enabled }, async () => {
        const state = await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled })
        frame = JSON.stringify({ type: 'changes', changes: [{ type: 'flag', version: state.version, flag: state }] })
      })),
    )
  }
  gen.kill()
  server.kill()
  return { ...summarise(latencies), perConnectionKiB: (rssAfter - rssBefore) / n, frame }
}

async function measureBare(n: number, frame: string) {
  const server = spawn(process.execPath, ['--import', 'tsx', here('./bare-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await waitForLine(server, /listening on (\S+)/)
  const gen = await loadGen('bare', url.replace('http', 'ws'), '', n)
  const latencies: number[] = []
  for (let r = 0; r < ROUNDS; r++)
    (r > 0 ? latencies : []).push(
      ...(await round(gen, r, { flag: '', enabled: true }, async () => {
        await fetch(url + '/broadcast', { method: 'POST', body: frame })
      })),
    )
  gen.kill()
  server.kill()
  return summarise(latencies)
}

const rows: BenchRow[] = []
for (const n of sizes) {
  const ours = await measureOurs(n)
  const bare = await measureBare(n, ours.frame)
  const fmt = (x: number) => Math.round(x * 100) / 100
  console.log(
    `${n} SDKs: canary-flags p50 ${fmt(ours.p50)} ms, p99 ${fmt(ours.p99)} ms, max ${fmt(ours.max)} ms | ` +
      `bare ws p50 ${fmt(bare.p50)} ms, p99 ${fmt(bare.p99)} ms, max ${fmt(bare.max)} ms | ` +
      `p99 ratio ${fmt(ours.p99 / bare.p99)}× | ${fmt(ours.perConnectionKiB)} KiB per idle connection`,
  )
  rows.push(
    { label: `propagation ${n} SDKs p50`, value: fmt(ours.p50), unit: 'ms', note: `bare ws ${fmt(bare.p50)} ms` },
    { label: `propagation ${n} SDKs p99`, value: fmt(ours.p99), unit: 'ms', note: `bare ws ${fmt(bare.p99)} ms; ratio ${fmt(ours.p99 / bare.p99)}× (target ≤ 2×)` },
    { label: `propagation ${n} SDKs max`, value: fmt(ours.max), unit: 'ms', note: `bare ws ${fmt(bare.max)} ms` },
    { label: `server memory per idle connection (${n})`, value: fmt(ours.perConnectionKiB), unit: 'KiB', note: 'RSS delta / connections' },
  )
}
writeResult({
  name: 'propagation',
  title: 'Propagation: admin API call returned → every SDK applied the change',
  date: new Date().toISOString(),
  ok: true,
  rows,
})
