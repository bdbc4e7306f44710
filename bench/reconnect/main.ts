/**
 * Reconnect benchmark: N SDKs connected to a real server process, the server restarted
 * gracefully (SIGTERM: close code 1012 to every stream, then exit), a few seconds of outage, its
 * successor started on the same port and database, and one change made the moment the
 * successor answers `/health`. Per size: the time from that first answer until each SDK holds
 * the change (median, p99, max), and the connection rate the successor saw (opened connections
 * in the busiest 100 ms and 1 s windows). Writes bench/results/latest-reconnect.json.
 *
 * The SDKs are the real connection (`sdk/client/connection.ts` with its backoff) over real
 * sockets, in one load-generating process (load-gen.ts). Goal (issue 24): median ≤ 1 s, max
 * ≤ 3 s after an outage of a few seconds.
 *
 * Run: npm run bench -- reconnect   (or: npx tsx bench/reconnect/main.ts 1000 10000)
 * RECONNECT_OUTAGE_MS (default 3000), RECONNECT_ROUNDS (restarts per size, default 3),
 * RECONNECT_KILL=1: the server is killed (SIGKILL, no close code) instead of stopped gracefully.
 * 10,000 SDKs need `ulimit -n` ≥ 10,100 (server and load generator each); a size that does not
 * fit is reported and skipped.
 * Before and after in one run: RECONNECT_BASE=<a built checkout of another commit> makes every
 * other successor that build (rounds alternate, so both meet the same SDKs and the same load);
 * each build gets its own rows, with the successor's CPU time per SDK.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fdShortfall } from '../lib/fd-limit.ts'
import { load } from '../lib/machine.ts'
import { cpuMs } from '../lib/proc-cpu.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { adminApi, startServerProcess } from '../lib/server-process.ts'
import { peakRate, percentile } from './rates.ts'

const ADMIN = 'bench-reconnect-admin-key-0123456789'
const FLAG = 'checkout-v2'
const counts = process.argv.slice(2).map(Number).filter((n) => n > 0)
const sizes = counts.length ? counts : [1000, 10_000]
const OUTAGE_MS = Number(process.env.RECONNECT_OUTAGE_MS ?? 3000)
const ROUNDS = Number(process.env.RECONNECT_ROUNDS ?? 3)
/** `RECONNECT_CPU_PROF=<dir>`: each successor runs with --cpu-prof (written when it exits). */
const cpuProf = process.env.RECONNECT_CPU_PROF
/** `RECONNECT_KILL=1`: a crash (SIGKILL: the SDKs see their sockets drop, no close code). */
const KILL = process.env.RECONNECT_KILL === '1'
/** `RECONNECT_BASE=<dir>`: odd rounds' successors run that checkout's build. */
const BASE = process.env.RECONNECT_BASE
/** `CANARY_RECONNECT_RATE` passes through to both servers (the first one's shutdown uses it). */
const serverEnv: Record<string, string> = process.env.CANARY_RECONNECT_RATE ? { CANARY_RECONNECT_RATE: process.env.CANARY_RECONNECT_RATE } : {}
const now = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One restart's figures; `build` names the successor's build. */
interface Round { build: string; sync: number[]; open: number[]; attempts: number[]; fatal: number; cpuMsPerSdk: number }

interface Synced { syncedAt: number[]; openedAt: number[]; attempts: number[]; fatal: number; outcomes: Record<string, number>; loopDelayMs: { p99: number; max: number } }

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`load generator: no '${type}' within ${timeoutMs} ms`)), timeoutMs)
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(m as T)
    }
    child.on('message', onMessage)
  })
}

/** When `/health` first answers 200 (polled every 10 ms): "the server answers again". */
async function firstHealthy(url: string): Promise<number> {
  for (;;) {
    try {
      const res = await fetch(`${url}/health`)
      await res.arrayBuffer()
      if (res.ok) return now()
    } catch {
      // Not listening yet.
    }
    await sleep(10)
  }
}

const stop = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') =>
  child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('exit', r).kill(signal)) : Promise.resolve()

async function measure(n: number) {
  const db = join(mkdtempSync(join(tmpdir(), 'cf-bench-reconnect-')), 'db.sqlite')
  let { url, process: server } = await startServerProcess(ADMIN, { db, env: serverEnv })
  const port = Number(new URL(url).port)
  let api = adminApi(url, ADMIN)
  const { secret } = await api('POST', '/api/v1/keys', { name: 'bench', kind: 'server', environment: 'production' })
  await api('POST', '/api/v1/flags', { key: FLAG })
  let state = await api('PATCH', `/api/v1/environments/production/flags/${FLAG}`, { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })

  const script = fileURLToPath(new URL('./load-gen.ts', import.meta.url))
  const gen = fork(script, [url, secret, String(n)], { execArgv: ['--import', 'tsx'] })
  const ready = await nextMessage<{ version: number }>(gen, 'ready', 300_000)
  if (ready.version !== state.version) throw new Error(`load generator at version ${ready.version}, server at ${state.version}`)

  const rounds: Round[] = []
  for (let r = 0; r < ROUNDS; r++) {
    // A crash takes the restart schedule only for a connection that had been healthy (up for the
    // backoff's resetAfterMs, 10 s); sooner, the SDK backs off as from a flapping server.
    if (KILL) await sleep(11_000)
    const expected = (state.version as number) + 1
    const armed = nextMessage(gen, 'armed', 10_000)
    gen.send({ type: 'expect', version: expected })
    await armed
    const synced = nextMessage<Synced>(gen, 'synced', 120_000)
    await stop(server, KILL ? 'SIGKILL' : 'SIGTERM')
    await sleep(OUTAGE_MS)
    const healthy = firstHealthy(url)
    const build = BASE && r % 2 === 1 ? 'base' : 'this build'
    ;({ process: server } = await startServerProcess(ADMIN, { db, port, env: serverEnv, nodeArgs: cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [], root: build === 'base' ? BASE : undefined }))
    const t0 = await healthy
    const cpu0 = { server: cpuMs(server.pid!), gen: cpuMs(gen.pid!) }
    api = adminApi(url, ADMIN)
    state = await api('PATCH', `/api/v1/environments/production/flags/${FLAG}`, { enabled: r % 2 === 1 })
    const changed = now()
    if (state.version !== expected) throw new Error(`the change got version ${state.version}, expected ${expected}`)
    const got = await synced
    const cpu = { server: cpuMs(server.pid!) - cpu0.server, gen: cpuMs(gen.pid!) - cpu0.gen }
    rounds.push({
      build,
      cpuMsPerSdk: cpu.server / n,
      sync: got.syncedAt.map((t) => t - t0),
      open: got.openedAt.map((t) => t - t0),
      attempts: got.attempts,
      fatal: got.fatal,
    })
    const q = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return [0, 10, 50, 90, 100].map((p) => Math.round(percentile(s, p))).join('/') }
    process.stderr.write(`reconnect: ${n} SDKs, round ${r + 1}/${ROUNDS} (${build}): opened ${q(rounds.at(-1)!.open)}, in sync ${q(rounds.at(-1)!.sync)} ms after /health; change committed ${Math.round(changed - t0)} ms after; CPU ms since /health: ${JSON.stringify(cpu)}; load generator's event-loop delay ${JSON.stringify(got.loopDelayMs)}; attempts ended: ${JSON.stringify(got.outcomes)}\n`)
    await sleep(1000)
  }
  gen.send({ type: 'exit' })
  await new Promise((r) => gen.once('exit', r))
  await stop(server)
  return rounds
}

const rows: BenchRow[] = []
let ok = true
for (const n of sizes) {
  const short = fdShortfall(n)
  if (short) {
    rows.push({ label: `${n} SDKs`, value: null, unit: '', note: short })
    ok = false
    continue
  }
  const rounds = await measure(n)
  for (const build of new Set(rounds.map((r) => r.build))) addRows(n, BASE ? `${build}, ` : '', rounds.filter((r) => r.build === build))
}

function addRows(n: number, prefix: string, rounds: Round[]) {
  const sorted = rounds.map((r) => [...r.sync].sort((a, b) => a - b))
  const p50 = sorted.map((s) => percentile(s, 50))
  const p99 = sorted.map((s) => percentile(s, 99))
  const max = sorted.map((s) => s.at(-1)!)
  const peak100 = rounds.map((r) => peakRate(r.open, 100))
  const peak1s = rounds.map((r) => peakRate(r.open, 1000))
  const attempts = rounds.map((r) => r.attempts.reduce((a, b) => a + b, 0) / r.attempts.length)
  const fatal = rounds.reduce((a, r) => a + r.fatal, 0)
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const cpu = rounds.map((r) => r.cpuMsPerSdk)
  rows.push(
    { label: `${prefix}${n} SDKs: successor's CPU per SDK`, value: Number(mid(cpu).toFixed(2)), unit: 'ms', samples: cpu.map((c) => Number(c.toFixed(2))), note: 'from /health answering until every SDK is in sync (the change included)' },
    { label: `${prefix}${n} SDKs: in sync after restart, median`, value: Math.round(mid(p50)), unit: 'ms', samples: p50.map(Math.round), note: `from /health answering; ${OUTAGE_MS} ms outage; median of ${rounds.length} restarts` },
    { label: `${prefix}${n} SDKs: in sync after restart, p99`, value: Math.round(mid(p99)), unit: 'ms', samples: p99.map(Math.round) },
    { label: `${prefix}${n} SDKs: in sync after restart, max`, value: Math.round(Math.max(...max)), unit: 'ms', samples: max.map(Math.round), note: 'worst of the rounds' },
    { label: `${prefix}${n} SDKs: peak connection rate, 100 ms windows`, value: Math.round(Math.max(...peak100)), unit: '/s', samples: peak100.map(Math.round) },
    { label: `${prefix}${n} SDKs: peak connection rate, 1 s windows`, value: Math.round(Math.max(...peak1s)), unit: '/s', samples: peak1s.map(Math.round) },
    { label: `${prefix}${n} SDKs: connection attempts per SDK`, value: Number(mid(attempts).toFixed(2)), unit: '', samples: attempts.map((a) => Number(a.toFixed(2))), note: 'from the close to back, refused ones included' },
  )
  if (fatal > 0) {
    ok = false
    rows.push({ label: `${prefix}${n} SDKs: refused keys`, value: fatal, unit: '', note: 'an SDK stopped for good: not a reconnect' })
  }
}

const file = writeResult({ name: 'reconnect', title: `Reconnect after a ${KILL ? 'kill -9 and restart' : 'graceful restart'} (load ${load()})`, date: new Date().toISOString(), ok, rows })
for (const row of rows) console.log(`${row.label.padEnd(52)} ${String(row.value ?? '—').padStart(8)} ${row.unit}  ${row.samples ? `[${row.samples.join(', ')}]` : ''} ${row.note ?? ''}`)
console.log(`wrote ${file}`)
if (!ok) process.exitCode = 1
