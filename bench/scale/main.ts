/**
 * Scale benchmark (issue 13): a server with 10,000 rich flags — `GET /api/v1/flags`, the
 * snapshot frame (bytes and time), one SDK's ready time and heap, `/health` latency while 100
 * SDKs connect at once, the same with WebSocket compression — and admin writes/s with 0, 1,000
 * and 5,000 connected SDKs. Every actor is its own process: server, load generator, writer,
 * `/health` probe, SDK clients. Writes bench/results/latest-scale.json.
 *
 * Run: npm run bench -- scale   (5,000 SDKs need `ulimit -n` ≥ 5,100)
 * Quick run: SCALE_FLAGS=1000 SCALE_SDKS=0,200 SCALE_WRITE_MS=3000 npx tsx bench/scale/main.ts
 * Where the server's time goes: SCALE_CPU_PROF=<dir> writes a --cpu-prof of the writes server.
 * One half: SCALE_ONLY=flags (10,000 flags, storms, compression) or SCALE_ONLY=writes.
 */
import { mkdtempSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { fdShortfall } from '../lib/fd-limit.ts'
import { KB, MB } from '../lib/format.ts'
import { load } from '../lib/machine.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { adminApi, startServerProcess } from '../lib/server-process.ts'
import { quantile } from '../lib/stats.ts'
import { disconnects, round, startLoadGen } from '../propagation/drive.ts'
import { timeFlagList } from './flag-list.ts'
import { flagKey, richCohorts, seedDatabase } from './seed.ts'
import { fetchSnapshot } from './snapshot-frame.ts'
import { connectStorm, idleHealth, oneSdk } from './storm.ts'
import { measureWrites } from './writes.ts'

const FLAGS = Number(process.env.SCALE_FLAGS ?? 10_000)
const SDK_COUNTS = (process.env.SCALE_SDKS ?? '0,1000,5000').split(',').map(Number)
const WRITE_WINDOW_MS = Number(process.env.SCALE_WRITE_MS ?? 10_000)
const STORM = 100
const WRITERS = 4
/** Flags the writes go round: enough that no two writers wait on one flag's row often. */
const WRITE_FLAGS = 100
/** The issue's target: writes/s with the most SDKs at least this share of writes/s with none. */
const WRITES_TARGET = 0.5
const ADMIN = 'bench-scale-admin-key-0123456789'
/** `SCALE_ONLY=flags` (the 10,000-flag server, with and without compression) or `writes`. */
const only = process.env.SCALE_ONLY
const want = (section: 'flags' | 'writes') => only === undefined || only === '' || only === section
const REPEATS = 5

const rows: BenchRow[] = []
let ok = true
const r1 = (x: number) => Math.round(x * 10) / 10
const r2 = (x: number) => Math.round(x * 100) / 100
const range = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`
const withLoad = (note: string) => `${note}; load ${load()}`
function row(label: string, value: number | null, unit: string, note: string, samples?: number[]) {
  rows.push({ label, value, unit, note: withLoad(note), ...(samples ? { samples: samples.map(r2) } : {}) })
  console.log(`${label}: ${value ?? '—'} ${unit} (${note}; load ${load()})`)
}
const stopProcess = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r).kill())
const n = (x: number) => x.toLocaleString('en-US')

const shortfall = fdShortfall(Math.max(...SDK_COUNTS, STORM))
if (shortfall !== undefined) {
  console.error(`scale: ${shortfall}`)
  writeResult({ name: 'scale', title: 'Scale', date: new Date().toISOString(), ok: false, rows: [{ label: 'scale', value: null, unit: '', note: shortfall }] })
  process.exit(1)
}

// — A server with FLAGS rich flags —
if (want('flags')) await flagSections()
async function flagSections() {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'cf-bench-scale-')), 'db.sqlite')
  const started = performance.now()
  await seedDatabase(dbPath, FLAGS)
  console.log(`seeded ${n(FLAGS)} flags offline in ${Math.round(performance.now() - started)} ms`)
  const probeFlag = flagKey(FLAGS - 1)
  const big = await startServerProcess(ADMIN, { db: dbPath, env: { CANARY_STREAM_COMPRESSION: 'off' } })
  const serverKey = (await adminApi(big.url, ADMIN)('POST', '/api/v1/keys', { name: 'bench-scale', kind: 'server', environment: 'production' })).secret as string

  const lists = []
  for (let i = 0; i < REPEATS; i++) lists.push(await timeFlagList(big.url, ADMIN))
  const listed = lists[0]!
  if (listed.items !== FLAGS) ok = false
  const listCheck = listed.items === FLAGS ? `${n(listed.items)} flags` : `WRONG: ${n(listed.items)} flags listed, ${n(FLAGS)} expected`
  const firsts = lists.map((l) => l.firstMs)
  if (listed.pages > 1) {
    row(`GET /api/v1/flags, first page (${n(FLAGS)} flags)`, r1(quantile(firsts, 0.5)), 'ms', `median of ${REPEATS}, ${range(firsts)} ms; ${n(Math.round(listed.items / listed.pages))} per page`, firsts)
    const walks = lists.map((l) => l.walkMs)
    row(`GET /api/v1/flags, all ${listed.pages} pages`, r1(quantile(walks, 0.5)), 'ms', `median of ${REPEATS}, ${range(walks)} ms; ${listCheck}`, walks)
  } else {
    row(`GET /api/v1/flags (${n(FLAGS)} flags)`, r1(quantile(firsts, 0.5)), 'ms', `median of ${REPEATS}, ${range(firsts)} ms; one page, ${listCheck}`, firsts)
  }

  /** Snapshot frame and time, the probe while idle and during a connect storm, for one server. */
  async function snapshotFigures(server: { url: string; process: ChildProcess }, label: string) {
    const snaps = []
    for (let i = 0; i < REPEATS; i++) snaps.push(await fetchSnapshot(server.url, serverKey))
    const snap = snaps[0]!
    if (snap.flags !== FLAGS) ok = false
    const times = snaps.map((s) => s.ms)
    const deflate = snap.extensions.includes('permessage-deflate')
    row(`snapshot frame, ${n(FLAGS)} flags${label}`, r2(snap.frameBytes / MB), 'MiB', `${n(snap.flags)} flags; ${r2(snap.wireBytes / MB)} MiB on the wire${deflate ? ` (${snap.extensions})` : ', not compressed'}`)
    row(`snapshot: hello → frame received${label}`, r1(quantile(times, 0.5)), 'ms', `raw ws client, median of ${REPEATS}, ${range(times)} ms`, times)
    const idle = await idleHealth(server.url, 3000)
    const healthNote = (h: number[]) => `p50 ${r1(quantile(h, 0.5))} ms, max ${r1(Math.max(...h))} ms, ${h.length} probes every ~5 ms`
    row(`/health p99, idle${label}`, r1(quantile(idle, 0.99)), 'ms', healthNote(idle))
    for (const kind of ['raw', 'sdk'] as const) {
      const who = kind === 'raw' ? `${STORM} raw clients` : `${STORM} SDKs`
      const how =
        kind === 'raw'
          ? 'raw protocol clients reading the snapshot without parsing it: the server\'s work packed tightest'
          : 'real SDK clients, all parsing and compiling in one load-generator process (on 2 shared cores that, not the server, sets the pace)'
      const storm = await connectStorm(kind, server.process, server.url, { server: serverKey, admin: ADMIN }, STORM, probeFlag)
      row(`/health p99, while ${who} connect at once${label}`, r1(quantile(storm.health, 0.99)), 'ms', `${healthNote(storm.health)}; the server's own event-loop delay max ${r1(storm.loopDelayMaxMs)} ms`)
      row(`${who} connect at once: last ${kind === 'raw' ? 'snapshot received' : 'ready'}${label}`, r1(Math.max(...storm.readyMs)), 'ms', `p50 ${r1(quantile(storm.readyMs, 0.5))} ms; ${how}`, storm.readyMs)
      row(`${who} connect at once: server CPU${label}`, Math.round(storm.serverCpuMs), 'ms', `${r1(storm.serverCpuMs / STORM)} ms per snapshot served`)
    }
    return deflate
  }

  await snapshotFigures(big, ' · compression off')
  const one = await oneSdk(big.url, serverKey, probeFlag, 3)
  row(`SDK ready, ${n(FLAGS)} flags`, Math.round(quantile(one.readyMs, 0.5)), 'ms', `createClient → ready(), median of 3 fresh processes, ${range(one.readyMs)} ms`, one.readyMs)
  const heapMiB = one.heapBytes.map((b) => b / MB)
  row(`SDK heap, ${n(FLAGS)} flags`, r1(quantile(heapMiB, 0.5)), 'MiB', `heapUsed after GC, ready minus before, ${range(heapMiB, 1)} MiB; ${r2(quantile(one.heapBytes, 0.5) / FLAGS / KB)} KB per flag`, heapMiB)

  const bigWrites = await measureWrites(big.process, undefined, {
    url: big.url, adminKey: ADMIN, windowMs: WRITE_WINDOW_MS, concurrency: WRITERS,
    flags: Array.from({ length: WRITE_FLAGS }, (_, i) => flagKey(i)),
  })
  row(`admin writes/s, no SDK, ${n(FLAGS)} flags`, Math.round(bigWrites.writesPerSecond), 'writes/s', `${WRITERS} writers; median ${r1(bigWrites.medianMs)} ms, p99 ${r1(bigWrites.p99Ms)} ms; server CPU ${r2(bigWrites.serverCpuMsPerWrite)} ms/write`)
  await stopProcess(big.process)

  // — The same database with compression on (the default): each frame deflated once for all —
  const zipped = await startServerProcess(ADMIN, { db: dbPath, env: { CANARY_STREAM_COMPRESSION: 'on' } })
  const tookEffect = await snapshotFigures(zipped, ' · compression on')
  if (!tookEffect) console.log('CANARY_STREAM_COMPRESSION=on had no effect: the upgrade answer names no permessage-deflate')
  await stopProcess(zipped.process)
}

// — Writes/s with 0, 1,000 and 5,000 SDKs —
/** Writes are measured with stream compression on (the default) and off: `SCALE_WRITE_COMPRESSION=on` for one. */
const WRITE_COMPRESSION = (process.env.SCALE_WRITE_COMPRESSION ?? 'on,off').split(',')
if (want('writes')) for (const compression of WRITE_COMPRESSION) await writeSections(compression)
async function writeSections(compression: string) {
  const cpuProf = process.env.SCALE_CPU_PROF
  const env = { CANARY_STREAM_COMPRESSION: compression }
  const fan = await startServerProcess(ADMIN, cpuProf ? { env, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', cpuProf] } : { env })
  const setting = ` · compression ${compression}`
  const api = adminApi(fan.url, ADMIN)
  const fanKey = (await api('POST', '/api/v1/keys', { name: 'bench-scale', kind: 'server', environment: 'production' })).secret as string
  const writeFlags = Array.from({ length: WRITE_FLAGS }, (_, i) => flagKey(i))
  for (const [i, key] of writeFlags.entries()) {
    await api('POST', '/api/v1/flags', { key })
    await api('PATCH', `/api/v1/environments/production/flags/${key}`, { enabled: true, cohorts: richCohorts(i) })
  }
  await api('POST', '/api/v1/flags', { key: 'probe' })
  await api('PATCH', '/api/v1/environments/production/flags/probe', { cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })

  const runs = new Map<number, Awaited<ReturnType<typeof measureWrites>>>()
  for (const sdks of SDK_COUNTS) {
    const gen = sdks > 0 ? await startLoadGen('sdk', fan.url, fanKey, sdks) : undefined
    if (gen) console.log(`${n(sdks)} SDKs ready in ${r1(gen.connectMs / 1000)} s`)
    await new Promise((r) => setTimeout(r, 1000))
    const run = await measureWrites(fan.process, gen?.child, { url: fan.url, adminKey: ADMIN, windowMs: WRITE_WINDOW_MS, concurrency: WRITERS, flags: writeFlags })
    runs.set(sdks, run)
    const lost = gen ? await disconnects(gen.child) : 0
    const cores = `CPU in cores: server ${r2(run.serverCores)}${run.loadGenCores === undefined ? '' : `, load generator ${r2(run.loadGenCores)}`}, writer ${r2(run.writerCores)}, whole machine ${r2(run.machineCores)} of ${cpus().length}`
    row(`admin writes/s, ${n(sdks)} SDKs${setting}`, Math.round(run.writesPerSecond), 'writes/s', `${WRITERS} writers, ${WRITE_FLAGS + 1} flags; median ${r1(run.medianMs)} ms, p99 ${r1(run.p99Ms)} ms${run.failures ? `, ${run.failures} FAILED` : ''}; ${cores}${lost ? `; ${lost} SDK reconnects (load generator behind)` : ''}`)
    const coalesced = run.fanOuts > 0 ? `; ${run.fanOuts} fan-outs (${r2(run.writes / run.fanOuts)} writes per frame), ${r2(run.fanOutMs)} ms each` : ''
    row(`server CPU per write, ${n(sdks)} SDKs${setting}`, r2(run.serverCpuMsPerWrite), 'ms', `user + system time of the server process (system ${r2(run.serverSystemMsPerWrite)} ms) over ${run.writes} writes; ${r1(run.serverBytesPerWrite / KB)} KB written per write${coalesced}`)
    if (gen && sdks === Math.max(...SDK_COUNTS)) {
      // One change at a time, the writer stopped: commit (API answer) → the last SDK applied it.
      await new Promise((r) => setTimeout(r, 2000)) // the load generator catches up with the writes first
      const last: number[] = []
      for (let r = 0; r < 4; r++) {
        const got = await round(gen.child, r, { flag: 'probe', enabled: r % 2 === 0 }, async () => {
          await api('PATCH', '/api/v1/environments/production/flags/probe', { enabled: r % 2 === 0 })
        })
        if (r > 0) last.push(Math.max(...got.fromReturn))
      }
      row(`one change → last of ${n(sdks)} SDKs applied${setting}`, r1(quantile(last, 0.5)), 'ms', `from the API answer (negative: before it), median of 3 rounds, ${range(last)} ms (npm run bench -- propagation has p50/p99 against bare ws)`, last)
    }
    if (gen) await stopProcess(gen.child)
  }
  const none = runs.get(0)
  const most = runs.get(Math.max(...SDK_COUNTS))
  if (none && most && most !== none) {
    const ratio = most.writesPerSecond / none.writesPerSecond
    const missed = ratio < WRITES_TARGET
    row(`writes/s with ${n(Math.max(...SDK_COUNTS))} SDKs ÷ with none${setting}`, r2(ratio), '×', `target ≥ ${WRITES_TARGET}${missed ? ' MISSED' : ''}; same run`)
  }
  await stopProcess(fan.process)
}

writeResult({ name: 'scale', title: `Scale: ${n(FLAGS)} flags, connect storms, writes with SDKs connected`, date: new Date().toISOString(), ok, rows })
if (!ok) process.exitCode = 1
