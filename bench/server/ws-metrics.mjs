// Load generator of bench/server (its own process, pinned to the other core): one WebSocket with
// a server key sends `metrics` frames of a 50-flag batch, `WINDOW` unacknowledged at a time, and
// prints the acknowledgements per second over `MS` after a warm-up. Any refused batch fails it.
// With the server's pid, also the server's CPU time over the same span (/proc/<pid>/stat), so
// the figure per core holds on a shared machine where the server does not get a whole core.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import WebSocket from 'ws'

const [url, key, flagsJson, ms = '5000', warmMs = '1000', window = '64', run = 'ws', serverPid] = process.argv.slice(2)
const TICKS = serverPid ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100 : 100
/** The server's user + system CPU time so far, in clock ticks (USER_HZ). */
const cpuTicks = () => {
  if (!serverPid) return 0
  const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}
const flags = JSON.parse(flagsJson)
const counts = Object.fromEntries(flags.map((f) => [f, [50, 0, 450, 4]]))
const socket = new WebSocket(url.replace('http', 'ws') + '/api/v1/stream', 'canary-flags.v1', {
  headers: { authorization: `Bearer ${key}` },
  perMessageDeflate: false,
})
let seq = 0
let acked = 0
let counting = false
let counted = 0
const send = () => {
  const now = Date.now()
  socket.send(JSON.stringify({ type: 'metrics', batch: { id: `${run}-${++seq}`, start: now - 5000, end: now, flags: counts } }))
}
socket.on('message', (data) => {
  const m = JSON.parse(data.toString())
  if (m.type !== 'metrics_ack') return
  if (m.error) {
    console.error(`refused: ${JSON.stringify(m.error)}`)
    process.exit(1)
  }
  acked++
  if (counting) counted++
  send()
})
socket.on('open', () => {
  socket.send(JSON.stringify({ type: 'hello', sdk: 'bench-ws-metrics' }))
  for (let i = 0; i < Number(window); i++) send()
  setTimeout(() => {
    counting = true
    const started = performance.now()
    const cpuStart = cpuTicks()
    setTimeout(() => {
      const seconds = (performance.now() - started) / 1000
      const cpuSeconds = (cpuTicks() - cpuStart) / TICKS
      console.log(JSON.stringify({ perSecond: counted / seconds, perCpuSecond: serverPid ? counted / cpuSeconds : null, cpuShare: cpuSeconds / seconds, acked }))
      process.exit(0)
    }, Number(ms))
  }, Number(warmMs))
})
socket.on('error', (error) => {
  console.error(error)
  process.exit(1)
})
