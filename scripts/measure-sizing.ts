/**
 * Sizing figures for the README: server memory per flag and per idle SDK connection, read from
 * the server's own /metrics (heap used and resident set) while a real `canary serve` process
 * gets flags and connections. Run: npx tsx scripts/measure-sizing.ts [flags] [connections]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { parsePrometheusText, sample } from '../test/helpers/prometheus.ts'

const FLAGS = Number(process.argv[2] ?? 1000)
const CONNECTIONS = Number(process.argv[3] ?? 2000)
const dir = mkdtempSync(join(tmpdir(), 'canary-sizing-'))
const child = spawn(process.execPath, ['bin/canary.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--db', join(dir, 'db.sqlite')], {
  env: { ...process.env, LOG_LEVEL: 'warn' },
})
let out = ''
const banner = await new Promise<RegExpMatchArray>((resolve) =>
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString()
    const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*admin key: (\S+)/)
    if (m) resolve(m)
  }),
)
const url = `http://127.0.0.1:${banner[1]}`
const key = banner[2]!
const api = (method: string, path: string, body?: unknown) =>
  fetch(url + path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function memory() {
  // Several scrapes, the lowest heap: between collections the heap only grows.
  let heap = Infinity
  let rss = Infinity
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 400))
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text()
    const families = parsePrometheusText(text)
    heap = Math.min(heap, sample(families, 'canary_nodejs_heap_size_used_bytes'))
    rss = Math.min(rss, sample(families, 'canary_process_resident_memory_bytes'))
  }
  return { heap, rss }
}

const base = await memory()
const cohorts = [
  { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: Array.from({ length: 20 }, (_, i) => `user-${i}`) }], rollout: 100 },
  { name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 10 },
]
for (let i = 0; i < FLAGS; i++) {
  await api('POST', '/api/v1/flags', { key: `flag-${i}` })
  await api('PATCH', `/api/v1/environments/production/flags/flag-${i}`, { enabled: true, cohorts })
}
const withFlags = await memory()
const sdkKey = (await (await api('POST', '/api/v1/keys', { name: 'sizing', kind: 'server', environment: 'production' })).json()).secret
const sockets: WebSocket[] = []
for (let i = 0; i < CONNECTIONS; i++) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/stream`, { headers: { authorization: `Bearer ${sdkKey}` } })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  // A real SDK says hello and gets the snapshot (then holds it; the server keeps nothing per snapshot).
  const snapshot = new Promise((resolve) => ws.once('message', resolve))
  ws.send(JSON.stringify({ type: 'hello', sdk: 'sizing' }))
  await snapshot
  sockets.push(ws)
}
const withConnections = await memory()
const kib = (bytes: number) => (bytes / 1024).toFixed(1)
console.log(`baseline: heap ${kib(base.heap)} KiB, rss ${kib(base.rss)} KiB`)
console.log(`per flag (${FLAGS} flags, 2 cohorts, 20 beta users, both environments): heap +${kib((withFlags.heap - base.heap) / FLAGS)} KiB, rss +${kib((withFlags.rss - base.rss) / FLAGS)} KiB`)
console.log(`per idle server-key connection (${CONNECTIONS}): heap +${kib((withConnections.heap - withFlags.heap) / CONNECTIONS)} KiB, rss +${kib((withConnections.rss - withFlags.rss) / CONNECTIONS)} KiB`)
for (const ws of sockets) ws.terminate()
child.kill('SIGTERM')
await new Promise((resolve) => child.once('exit', resolve))
rmSync(dir, { recursive: true, force: true })
