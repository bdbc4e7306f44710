/**
 * Guard benchmark, against a real server process:
 * - reaction: from the first failing request to every SDK seeing the flag off, with the
 *   SDKs' default 5 s flush, p50 and max over several runs;
 * - ingest: metrics batches per second the server acknowledges from 1,000 SDK connections.
 * Writes bench/results/latest-guard.json.  Run: npm run bench -- guard
 * First it runs the decision simulation (simulate.ts, latest-guard-sim.json); GUARD_PARTS
 * selects: `GUARD_PARTS=simulate npm run bench -- guard` runs the simulation alone.
 */
import { WebSocket } from 'ws'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { adminApi, startServerProcess } from '../lib/server-process.ts'

const ADMIN = 'bench-guard-admin-key-0123456789ab'
const RUNS = 5
const SDKS = 20
const INGEST_CONNECTIONS = 1000
const INGEST_SECONDS = 10
const FLAG = '/api/v1/environments/production/flags/checkout-v2'

/** One reaction run: healthy traffic, then a bug; returns ms from first failure to all SDKs off. */
async function reactionRun(url: string, key: string, run: number): Promise<number> {
  await adminApi(url, ADMIN)('PATCH', FLAG, { enabled: true })
  const clients: FlagClient[] = Array.from({ length: SDKS }, () => createClient({ url, key, logger: {} }))
  await Promise.all(clients.map((c) => c.ready({ timeoutMs: 10_000 })))
  let failing = false
  let firstFailure = 0
  const offAt: number[] = []
  clients.forEach((c, i) =>
    c.on('change', () => {
      if (!c.isEnabled('checkout-v2', { userId: 'probe' }) && offAt[i] === undefined) offAt[i] = performance.now()
    }),
  )
  let n = 0
  // Each SDK serves ~1,000 requests/s; after the bug lands, 30% of canary requests fail.
  const traffic = setInterval(() => {
    for (const c of clients)
      for (let i = 0; i < 10; i++) {
        const user = { userId: `u-${run}-${n++}` }
        if (c.isEnabled('checkout-v2', user) && failing && n % 10 < 3) {
          if (firstFailure === 0) firstFailure = performance.now()
          c.recordError('checkout-v2', user)
        }
      }
  }, 10)
  await new Promise((r) => setTimeout(r, 2000 + Math.random() * 3000)) // land the bug anywhere in a flush interval
  failing = true
  while (offAt.filter((t) => t !== undefined).length < SDKS) await new Promise((r) => setTimeout(r, 20))
  clearInterval(traffic)
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 500 })))
  // A figure without a first failure would time something else (a trip on stale evidence).
  if (firstFailure === 0) throw new Error(`run ${run}: the flag went off before the bug landed`)
  return Math.max(...offAt) - firstFailure
}

/** 1,000 raw connections each sending batches back to back (one in flight); acks per second. */
async function ingestThroughput(url: string, key: string): Promise<number> {
  const sockets: WebSocket[] = []
  let acked = 0
  let counting = false
  const batch = (i: number, seq: number) =>
    JSON.stringify({
      type: 'metrics',
      batch: { id: `ingest-${i}-${seq}`, start: Date.now() - 5000, end: Date.now(), flags: { 'checkout-v2': [50, 0, 450, 4] } },
    })
  for (let i = 0; i < INGEST_CONNECTIONS; i++) {
    const socket = new WebSocket(url.replace('http', 'ws') + '/api/v1/stream', 'canary-flags.v1', {
      headers: { authorization: `Bearer ${key}` },
    })
    let seq = 0
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString())
      if (message.type !== 'metrics_ack') return
      if (counting) acked++
      socket.send(batch(i, ++seq))
    })
    await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject))
    socket.send(JSON.stringify({ type: 'hello', sdk: 'bench-ingest', version: 1_000_000 }))
    sockets.push(socket)
  }
  sockets.forEach((s, i) => s.send(batch(i, 0)))
  await new Promise((r) => setTimeout(r, 1000)) // warm-up
  counting = true
  const started = performance.now()
  await new Promise((r) => setTimeout(r, INGEST_SECONDS * 1000))
  counting = false
  const rate = acked / ((performance.now() - started) / 1000)
  sockets.forEach((s) => s.terminate())
  return rate
}

// GUARD_PARTS (comma-separated, default both): `simulate` is the decision simulation
// (bench/guard/simulate.ts, its own latest-guard-sim.json), `server` the real-server figures.
const GUARD_PARTS = (process.env.GUARD_PARTS ?? 'simulate,server').split(',').map((s) => s.trim())
if (GUARD_PARTS.includes('simulate')) {
  const { runSimulation } = await import('./simulate.ts')
  if (!(await runSimulation())) process.exitCode = 1
}
if (!GUARD_PARTS.includes('server')) process.exit()

const server = await startServerProcess(ADMIN)
const call = adminApi(server.url, ADMIN)
try {
  const { secret } = await call('POST', '/api/v1/keys', { name: 'bench', kind: 'server', environment: 'production' })
  await call('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await call('PATCH', FLAG, { cohorts: [{ name: 'canary', conditions: [], rollout: 10 }] })
  await call('PUT', `${FLAG}/guard`, { maxErrorRate: 0.05, minExposures: 500, windowSeconds: 60 })

  const reactions: number[] = []
  for (let run = 0; run < RUNS; run++) reactions.push(await reactionRun(server.url, secret, run))
  reactions.sort((a, b) => a - b)
  const p50 = reactions[Math.floor(reactions.length / 2)]!
  const max = reactions.at(-1)!
  console.log(`guard reaction (${RUNS} runs, 5 s flush): p50 ${(p50 / 1000).toFixed(2)} s, max ${(max / 1000).toFixed(2)} s`)

  await call('PATCH', FLAG, { enabled: true })
  const rate = await ingestThroughput(server.url, secret)
  console.log(`ingest: ${Math.round(rate)} batches/s from ${INGEST_CONNECTIONS} connections`)

  const rows: BenchRow[] = [
    { label: 'guard reaction p50', value: Math.round(p50) / 1000, unit: 's', note: `first failing request → all ${SDKS} SDKs off; 5 s flush; ${RUNS} runs` },
    { label: 'guard reaction max', value: Math.round(max) / 1000, unit: 's', note: 'bounded by one flush interval + one batch' },
    { label: `ingest from ${INGEST_CONNECTIONS} SDKs`, value: Math.round(rate), unit: 'batches/s', note: 'each batch: de-duplicated, judged at once, stored with others in one transaction every 250 ms' },
  ]
  writeResult({ name: 'guard', title: 'Guard: automatic disable', date: new Date().toISOString(), ok: true, rows })
} finally {
  server.process.kill()
}
