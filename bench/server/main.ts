/**
 * Server hot paths (issue 25): requests per second of one server process pinned to core 0
 * (`taskset -c 0`), the load generator (wrk, one thread, 32 connections) pinned to core 1 — for
 * `/health`, a bare `node:http` server answering `/health`'s bytes, OFREP bulk (one context, and a
 * new user each request) and single, `POST
 * …/evaluate` (server key), an admin GET of one flag state, and metrics intake of 50-flag
 * batches over HTTP and over one WebSocket — with 5 and with 350 rich flags, each row also as a
 * share of `/health` in the same run. Each run also reads the server's CPU time (/proc): rates
 * per server CPU-second, and shares of those, hold on a shared machine where the server does not
 * get all of core 0 (the WebSocket goal is per core: batches per server CPU-second). Writes
 * bench/results/latest-server.json.
 *
 * Run: npm run bench -- server            (needs `wrk` and `taskset`; 2 cores or more)
 * Before and after in one run: BENCH_SERVER_BASE=<a built checkout of another commit> adds its
 * rows (`git archive <commit> | tar -x -C /tmp/base`, link node_modules, `npm run build` there).
 * Quick run: SERVER_FLAGS=5 SERVER_SECONDS=2. Where the time goes: SERVER_CPU_PROF=<dir> runs
 * the server with --cpu-prof (written at exit into <dir>).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { load, machine } from '../lib/machine.ts'
import { cpuMs } from '../lib/proc-cpu.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { richCohorts } from '../scale/seed.ts'

const here = dirname(fileURLToPath(import.meta.url))
const ROOT = join(here, '..', '..')
const FLAG_COUNTS = (process.env.SERVER_FLAGS ?? '5,350').split(',').map(Number)
const SECONDS = Number(process.env.SERVER_SECONDS ?? 3)
/** Interleaved rounds per row (the median is reported). */
const ROUNDS = Number(process.env.SERVER_ROUNDS ?? 3)
const BASE = process.env.BENCH_SERVER_BASE
const CPU_PROF = process.env.SERVER_CPU_PROF
/** `SERVER_ONLY='OFREP bulk;/health'`: only these rows (to profile one route). */
const ONLY = process.env.SERVER_ONLY?.split(';').map((s) => s.trim())
const wanted = (label: string) => ONLY === undefined || ONLY.includes(label)
const CONNECTIONS = 32
const ADMIN = 'bench-server-admin-key-0123456789abcdef'
const BATCH_FLAGS = 50
const ENV = 'production'

/** The goals, as shares of `/health` in the same run (WS metrics: batches/s per core). */
const GOALS: Record<string, number> = {
  'OFREP bulk': 0.5,
  'OFREP bulk, another user each request': 0.5,
  'OFREP single': 0.5,
  'POST …/evaluate': 0.5,
  'admin GET flag state': 0.3,
  'metrics 50-flag batch, HTTP': 0.3,
}
const WS_GOAL = 20_000
const WS_ROW = 'metrics 50-flag batch, one WebSocket'
const BARE_GOAL = 0.5

/**
 * An admin-API caller that retries once on a stale keep-alive socket (the server closes idle
 * ones after 5 s, which a wrk run between two calls outlasts).
 */
function adminApi(url: string, key: string) {
  const once = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return res.json() as Promise<unknown>
  }
  return (method: string, path: string, body?: unknown) =>
    once(method, path, body).catch((error: unknown) => {
      if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error
      return once(method, path, body)
    })
}

interface Process {
  url: string
  child: ChildProcess
  stop(): Promise<void>
}

/** `node <args>` pinned to core 0, stdout to a file (cheap to write, read for its URL). */
async function pinned(args: string[], env: Record<string, string> = {}): Promise<Process> {
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-server-'))
  const out = join(dir, 'stdout.log')
  const child = spawn('taskset', ['-c', '0', process.execPath, ...args], {
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', openSync(out, 'w'), 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 30_000
  for (;;) {
    const match = readFileSync(out, 'utf8').match(/listening on (http:\/\/[^\s"}\\]+)/)
    if (match) return { url: match[1]!, child, stop: async () => void (child.kill('SIGTERM'), await exited) }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start: ${readFileSync(out, 'utf8')}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function startCanary(root: string, label: string): Promise<Process> {
  const prof = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, `--cpu-prof-name=${label.replace(/\W+/g, '-')}-${Date.now()}.cpuprofile`] : []
  const db = join(mkdtempSync(join(tmpdir(), 'cf-bench-server-db-')), 'db.sqlite')
  return pinned([...prof, join(root, 'bin', 'canary.js'), 'serve', '--port', '0', '--host', '127.0.0.1', '--db', db], { CANARY_ADMIN_KEY: ADMIN })
}

interface Shape {
  path: string
  method?: string
  auth?: string
  body?: string
  /** A placeholder in `body` replaced per request (unique batch ids). */
  unique?: string
}

/**
 * One run's figures: requests (or batches) per second, and per second of the server's own CPU
 * time over the run (/proc): the figure per core, which holds when other work on a shared
 * machine takes part of core 0 (wall-clock rates then measure the machine's load as much).
 */
interface Sample {
  rate: number
  perCpuSecond: number
}

/** wrk against one request shape (the server is `pid`), or an error when any answer was not 2xx. */
let invocations = 0

function wrk(target: Target, shape: Shape, seconds: number, run: string): Sample {
  const { url, pid } = target
  // Each invocation its own id prefix: wrk's counter starts again at 1, and a resent batch id
  // would be measured as a (cheaper) duplicate.
  const env: Record<string, string> = { ...(process.env as Record<string, string>), WRK_METHOD: shape.method ?? 'GET', WRK_RUN: `${run}-${++invocations}` }
  if (shape.auth) env.WRK_AUTH = shape.auth
  if (shape.body) env.WRK_BODY = shape.body
  if (shape.unique) env.WRK_UNIQUE = shape.unique
  const cpuBefore = cpuMs(pid)
  const result = spawnSync('taskset', ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', join(here, 'request.lua'), url + shape.path], { env, encoding: 'utf8' })
  const cpuSeconds = (cpuMs(pid) - cpuBefore) / 1000
  const text = `${result.stdout}${result.stderr}`
  const rate = text.match(/Requests\/sec:\s+([\d.]+)/)
  const done = text.match(/(\d+) requests in/)
  const bad = text.match(/Non-2xx or 3xx responses: (\d+)/)
  const errors = text.match(/Socket errors: (.*)/)
  if (!rate || !done || bad || (errors && /read [1-9]|write [1-9]|connect [1-9]/.test(errors[1]!)))
    throw new Error(`wrk ${shape.method ?? 'GET'} ${shape.path}: ${text}`)
  // A request over wrk's 2 s timeout is not counted in the rate: the rate stays honest, but say so.
  if (errors) console.log(`  (${shape.method ?? 'GET'} ${shape.path}: ${errors[1]})`)
  return { rate: Number(rate[1]), perCpuSecond: Number(done[1]) / cpuSeconds }
}

/** A server to load: its URL, and its pid for its CPU time. */
interface Target {
  url: string
  pid: number
}

/** Warm-up (JIT, caches), then the measured run. */
function measure(target: Target, shape: Shape, run: string): Sample {
  wrk(target, shape, 1, `${run}-warm`)
  return wrk(target, shape, SECONDS, run)
}

/**
 * Metrics frames over one WebSocket (ws-metrics.mjs on core 1): acknowledged batches per second,
 * and per second of the server's own CPU time over the same span.
 */
function wsMetrics(target: Target, key: string, flags: string[], run: string): Sample {
  const args = [join(here, 'ws-metrics.mjs'), target.url, key, JSON.stringify(flags), String(SECONDS * 1000), '1000', '64', run, String(target.pid)]
  const result = spawnSync('taskset', ['-c', '1', process.execPath, ...args], { encoding: 'utf8', cwd: ROOT })
  if (result.status !== 0) throw new Error(`ws-metrics: ${result.stdout}${result.stderr}`)
  const figures = JSON.parse(result.stdout.trim()) as { perSecond: number; perCpuSecond: number }
  return { rate: figures.perSecond, perCpuSecond: figures.perCpuSecond }
}

/** A fresh server with `count` rich flags (and at least 50 for the metrics batches), and a server key. */
async function seed(url: string, count: number): Promise<{ serverKey: string; batchFlags: string[] }> {
  const api = adminApi(url, ADMIN)
  const serverKey = ((await api('POST', '/api/v1/keys', { name: 'bench', kind: 'server', environment: ENV })) as { secret: string }).secret
  for (let i = 0; i < count; i++) {
    const key = `rich-${String(i).padStart(4, '0')}`
    await api('POST', '/api/v1/flags', { key })
    await api('PATCH', `/api/v1/environments/${ENV}/flags/${key}`, { enabled: true, cohorts: richCohorts(i) })
  }
  const batchFlags = Array.from({ length: Math.min(count, BATCH_FLAGS) }, (_, i) => `rich-${String(i).padStart(4, '0')}`)
  return { serverKey, batchFlags }
}

/** More flags for the metrics batches when the table has fewer than 50 (after its other rows ran). */
async function topUp(url: string, batchFlags: string[]): Promise<string[]> {
  const api = adminApi(url, ADMIN)
  const more: string[] = []
  for (let i = batchFlags.length; i < BATCH_FLAGS; i++) {
    const key = `plain-${String(i).padStart(2, '0')}`
    await api('POST', '/api/v1/flags', { key })
    more.push(key)
  }
  return [...batchFlags, ...more]
}

/** Per row: the medians of its rates and of its ratios to the `/health` run just before it, by wall clock and by server CPU time. */
interface Figures {
  rate: number
  ratio: number
  perCpuSecond: number
  cpuRatio: number
}

interface Table {
  flags: number
  target: string
  rows: Map<string, Figures>
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One row's run. */
type Run = (warm: boolean) => Sample

/**
 * Each row is measured right after a `/health` run, in `ROUNDS` interleaved rounds: on a shared
 * machine the load moves within seconds, and a ratio of two runs seconds apart holds where two
 * rates minutes apart do not. The figure is the median over rounds, of rates and of ratios.
 */
function interleaved(runs: Array<[string, Run]>, health: Run): Map<string, Figures> {
  type Samples = { rates: number[]; ratios: number[]; perCpu: number[]; cpuRatios: number[] }
  const empty = (): Samples => ({ rates: [], ratios: [], perCpu: [], cpuRatios: [] })
  const samples = new Map<string, Samples>([['/health', empty()], ...runs.map(([label]) => [label, empty()] as [string, Samples])])
  const add = (label: string, sample: Sample, h: Sample) => {
    const into = samples.get(label)!
    into.rates.push(sample.rate)
    into.ratios.push(sample.rate / h.rate)
    into.perCpu.push(sample.perCpuSecond)
    into.cpuRatios.push(sample.perCpuSecond / h.perCpuSecond)
  }
  for (let round = 0; round < ROUNDS; round++)
    for (const [label, run] of runs) {
      if (!wanted(label)) continue
      const h = health(round === 0)
      add('/health', h, h)
      add(label, run(round === 0), h)
    }
  const out = new Map<string, Figures>()
  for (const [label, { rates, ratios, perCpu, cpuRatios }] of samples)
    if (rates.length > 0) out.set(label, { rate: median(rates), ratio: median(ratios), perCpuSecond: median(perCpu), cpuRatio: median(cpuRatios) })
  return out
}

async function table(target: { label: string; root: string }, flags: number, bare: Target): Promise<Table> {
  const server = await startCanary(target.root, `${target.label}-${flags}`)
  const run = `${target.label}-${flags}-${Date.now()}`.replace(/\W+/g, '-')
  try {
    const { serverKey, batchFlags } = await seed(server.url, flags)
    const context = JSON.stringify({ context: { targetingKey: 'user-0042', region: 'eu-west' } })
    // The server keeps the answer to a context it was asked in the same version (bulk-answer.ts):
    // this row asks for a new user every time, so every flag is evaluated on every request.
    const newUser = JSON.stringify({ context: { targetingKey: 'USER_ID', region: 'eu-west' } })
    const evaluate = JSON.stringify({ flag: 'rich-0000', user: { userId: 'user-0042', region: 'eu-west' } })
    const canary: Target = { url: server.url, pid: server.child.pid! }
    const http = (on: Target, shape: Shape): Run => (warm) => (warm ? measure(on, shape, run) : wrk(on, shape, SECONDS, run))
    const health = http(canary, { path: '/health' })
    const rows = interleaved(
      [
        ['bare node:http', http(bare, { path: '/health' })],
        ['OFREP bulk', http(canary, { path: '/ofrep/v1/evaluate/flags', method: 'POST', auth: serverKey, body: context })],
        ['OFREP bulk, another user each request', http(canary, { path: '/ofrep/v1/evaluate/flags', method: 'POST', auth: serverKey, body: newUser, unique: 'USER_ID' })],
        ['OFREP single', http(canary, { path: '/ofrep/v1/evaluate/flags/rich-0000', method: 'POST', auth: serverKey, body: context })],
        ['POST …/evaluate', http(canary, { path: `/api/v1/environments/${ENV}/evaluate`, method: 'POST', auth: serverKey, body: evaluate })],
        ['admin GET flag state', http(canary, { path: `/api/v1/environments/${ENV}/flags/rich-0000`, auth: ADMIN })],
      ],
      health,
    )
    // The batches' extra flags (5-flag table) come after the evaluation rows, which they would change.
    const metricsFlags = await topUp(server.url, batchFlags)
    const counts = Object.fromEntries(metricsFlags.map((f) => [f, [50, 0, 450, 4]]))
    const batch = JSON.stringify({ batch: { id: 'BATCH_ID', start: Date.now() - 5000, end: Date.now(), flags: counts } })
    let wsRun = 0
    const metricsRows = interleaved(
      [
        ['metrics 50-flag batch, HTTP', http(canary, { path: '/api/v1/metrics', method: 'POST', auth: serverKey, body: batch, unique: 'BATCH_ID' })],
        [WS_ROW, () => wsMetrics(canary, serverKey, metricsFlags, `${run}-ws${++wsRun}`)],
      ],
      health,
    )
    for (const [label, figures] of metricsRows) if (label !== '/health' || !rows.has(label)) rows.set(label, figures)
    return { flags, target: target.label, rows }
  } finally {
    await server.stop()
  }
}

const targets = [{ label: 'this build', root: ROOT }, ...(BASE ? [{ label: 'base', root: BASE }] : [])]
const rows: BenchRow[] = []
const ok = true
console.log(`server hot paths · ${machine()} · load ${load()}`)
for (const flags of FLAG_COUNTS) {
  const bare = await pinned([join(here, 'bare-health.mjs')])
  try {
    for (const target of targets) {
      const result = await table(target, flags, { url: bare.url, pid: bare.child.pid! })
      console.log(`\n${target.label}, ${flags} rich flags (server key; median of ${ROUNDS} rounds, each row right after a /health run)`)
      console.log('| request | req/s | share of /health | per server CPU-second | share of /health per CPU-second | goal |')
      console.log('| --- | --- | --- | --- | --- | --- |')
      const order = ['bare node:http', '/health', ...Object.keys(GOALS).slice(0, 5), 'metrics 50-flag batch, HTTP', WS_ROW]
      for (const label of order) {
        const figures = result.rows.get(label)
        if (!figures) continue
        // The bare row says how /health compares with it (the goal), every other row its share of /health.
        const invert = (x: number) => (label === 'bare node:http' ? 1 / x : x)
        const [share, cpuShare] = [invert(figures.ratio), invert(figures.cpuRatio)]
        const goal = label === WS_ROW ? `≥ ${WS_GOAL.toLocaleString('en')} per CPU-second` : label === 'bare node:http' ? `≥ ${BARE_GOAL}` : GOALS[label] ? `≥ ${GOALS[label]}` : ''
        const shares = label === WS_ROW ? ['', ''] : [share.toFixed(2), cpuShare.toFixed(2)]
        console.log(`| ${label} | ${Math.round(figures.rate).toLocaleString('en')} | ${shares[0]} | ${Math.round(figures.perCpuSecond).toLocaleString('en')} | ${shares[1]} | ${goal} |`)
        const note = label === 'bare node:http' ? `/health = ${share.toFixed(2)}× bare (${cpuShare.toFixed(2)}× per CPU-s)` : label === WS_ROW ? `${Math.round(figures.perCpuSecond)} per server CPU-s` : `${share.toFixed(2)}× /health (${cpuShare.toFixed(2)}× per CPU-s)`
        rows.push({ label: `${target.label}, ${flags} flags: ${label}`, value: Math.round(figures.rate), unit: 'req/s', note })
      }
    }
  } finally {
    await bare.stop()
  }
}
writeResult({ name: 'server', title: 'Server hot paths (req/s, server on one core)', date: new Date().toISOString(), ok, rows })
