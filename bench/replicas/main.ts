/**
 * Replicas benchmark. Propagation: with 1,000 SDKs (in a separate load-generating process), the
 * time from the admin API call on replica A returning to each SDK having applied the change —
 * p50, p99 — for one SQLite process (the default) and for three replicas on one PostgreSQL with
 * the SDKs spread over all three, in the same run. Write throughput: admin API writes per second
 * (16 in flight) through one SQLite process and through three replicas. Writes
 * bench/results/latest-replicas.json.
 *
 * Run: npm run bench -- replicas   (or: npx tsx bench/replicas/main.ts [SDKs = 1000])
 * `TEST_DATABASE_URL` names a PostgreSQL to use instead of a local embedded one (durable settings).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, startEmbeddedPostgres } from '../../test/helpers/postgres.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { adminApi, waitForLine } from '../lib/server-process.ts'
import { round, startLoadGen } from '../propagation/drive.ts'

const ADMIN = 'bench-replicas-admin-key-0123456789'
/** Rounds per measurement; the first warms the JIT on every side and is not counted. */
const ROUNDS = 11
const SDKS = Number(process.argv[2] ?? 1000)
const WRITES = 2000
const IN_FLIGHT = 16
const fmt = (x: number) => Math.round(x * 100) / 100

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** `canary serve` on a free port: SQLite in a temp dir, or a replica on `databaseUrl`. */
async function serve(databaseUrl?: string): Promise<{ url: string; process: ChildProcess }> {
  const db = join(mkdtempSync(join(tmpdir(), 'cf-bench-replicas-')), 'db.sqlite')
  const bin = fileURLToPath(new URL('../../bin/canary.js', import.meta.url))
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--db', db], {
    env: { ...process.env, CANARY_ADMIN_KEY: ADMIN, LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await waitForLine(child, /listening on (\S+)/)
  return { url: url.replace('localhost', '127.0.0.1'), process: child }
}

/** Admin API writes per second, `IN_FLIGHT` outstanding, spread over the servers in turn. */
async function writeThroughput(urls: string[]): Promise<number> {
  const apis = urls.map((url) => adminApi(url, ADMIN))
  const flags = 16
  for (let f = 0; f < flags; f++) await apis[0]!('POST', '/api/v1/flags', { key: `write-${f}` })
  let next = 0
  const started = performance.now()
  const worker = async (w: number) => {
    for (let i = next++; i < WRITES; i = next++) {
      // Worker w owns flags w, w+16…: its writes never collide ("nothing to change").
      const flag = `write-${w % flags}`
      await apis[i % apis.length]!('PATCH', `/api/v1/environments/production/flags/${flag}`, {
        cohorts: [{ name: 'all', conditions: [], rollout: (i % 100) + 0.5 }],
      })
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)))
  return WRITES / ((performance.now() - started) / 1000)
}

/** Propagation and write throughput of one setup (`servers` processes on one database). */
async function measure(label: string, servers: Array<{ url: string; process: ChildProcess }>) {
  const urls = servers.map((s) => s.url)
  const api = adminApi(urls[0]!, ADMIN)
  const { secret } = await api('POST', '/api/v1/keys', { name: 'bench', kind: 'server', environment: 'production' })
  await api('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })
  // SDKs spread over every replica in turn (the load generator takes the URLs comma-separated).
  const { child: gen } = await startLoadGen('sdk', urls.join(','), secret, SDKS)
  await new Promise((r) => setTimeout(r, 1000))
  const latencies: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const enabled = r % 2 === 0
    const got = await round(gen, r, { flag: 'checkout-v2', enabled }, async () => {
      await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', { enabled })
    })
    if (r > 0) latencies.push(...got.fromReturn)
  }
  gen.kill()
  const sorted = latencies.sort((a, b) => a - b)
  const result = { label, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1)!, writes: await writeThroughput(urls) }
  for (const s of servers) s.process.kill()
  process.stderr.write(`${label}: p50 ${fmt(result.p50)} ms, p99 ${fmt(result.p99)} ms, max ${fmt(result.max)} ms; ${Math.round(result.writes)} writes/s\n`)
  return result
}

const pgServer = process.env.TEST_DATABASE_URL ? undefined : await startEmbeddedPostgres({ durable: true })
const adminUrl = process.env.TEST_DATABASE_URL ?? pgServer!.url
const databases: Array<{ drop: () => Promise<void> }> = []
try {
  const single = await measure('one process, SQLite', [await serve()])
  const onePg = await createTestDatabase(adminUrl)
  databases.push(onePg)
  const first = await serve(onePg.url)
  const replicas = await measure('three replicas, PostgreSQL', [first, ...(await Promise.all([serve(onePg.url), serve(onePg.url)]))])

  const rows: BenchRow[] = []
  for (const r of [single, replicas])
    rows.push(
      { label: `${r.label}: ${SDKS} SDKs, p50 after the call returned`, value: fmt(r.p50), unit: 'ms' },
      { label: `${r.label}: ${SDKS} SDKs, p99 after the call returned`, value: fmt(r.p99), unit: 'ms' },
      { label: `${r.label}: ${SDKS} SDKs, max`, value: fmt(r.max), unit: 'ms' },
      { label: `${r.label}: admin API writes (${IN_FLIGHT} in flight)`, value: Math.round(r.writes), unit: 'writes/s' },
    )
  const gap = replicas.p99 - single.p99
  rows.push({ label: 'p99 across replicas minus single-process p99', value: fmt(gap), unit: 'ms', note: 'target ≤ 50 ms' })
  console.log(`p99 across replicas − single-process p99: ${fmt(gap)} ms (target ≤ 50 ms)`)
  writeResult({
    name: 'replicas',
    title: `Replicas: admin call on replica A → ${SDKS} SDKs spread over three replicas applied it; writes/s`,
    date: new Date().toISOString(),
    ok: gap <= 50,
    rows,
  })
} finally {
  for (const db of databases) await db.drop().catch(() => {})
  await pgServer?.stop()
}
