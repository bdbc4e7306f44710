/**
 * Load generator (a child process, see drive.ts): opens N connections — real SDK clients, or raw
 * `ws` sockets for the bare-broadcast floor — and reports when each one has the change.
 * Times are `performance.timeOrigin + performance.now()`: wall-clock based, so comparable with
 * the parent's on the same machine, with sub-millisecond resolution.
 */
import { WebSocket } from 'ws'
// The built package, as an application installs it (not the TypeScript sources through tsx).
import { createClient, type FlagClient } from '@canary-flags/sdk'

const [mode, url, key, countArg] = process.argv.slice(2) as ['sdk' | 'bare', string, string, string]
/** Several servers (replicas) may be given, comma-separated: SDKs are spread over them in turn. */
const urls = url.split(',')
const count = Number(countArg)
const now = () => performance.timeOrigin + performance.now()
/**
 * Connections being opened at once. A window rather than a fixed rate: the server's accept
 * queue (somaxconn) and the SDK's 10 s handshake timeout must not be what is measured, and
 * 10,000 SDKs must come up whether the server answers in 1 ms or in 100.
 */
const WINDOW = 200
/** Each connection's own limit to be ready, from its first attempt (not from the whole batch's). */
const READY_TIMEOUT_MS = 120_000

type Expect = { type: 'expect'; round: number; flag: string; enabled: boolean }
let current: Expect | undefined
let arrivals: number[] = []
/** Connections lost and re-opened (heartbeat timeouts, slow-consumer drops): a busy load generator shows here. */
let disconnects = 0

function arrived() {
  arrivals.push(now())
  if (current && arrivals.length === count) {
    process.send!({ type: 'arrivals', round: current.round, arrivals })
    current = undefined
  }
}

/** Runs `open(i)` for 0…count-1 with at most WINDOW of them pending; rejects on the first failure. */
async function paced(open: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  let done = 0
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      await open(i)
      if (++done % 1000 === 0) process.stderr.write(`load-gen: ${done}/${count} ${mode} connections ready\n`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, lane))
}

const clients: FlagClient[] = []
async function openSdkClient(i: number): Promise<void> {
  const client = createClient({ url: urls[i % urls.length]!, key, sdkName: 'bench-load-gen', flushIntervalMs: 3_600_000 })
  client.on('disconnected', () => disconnects++)
  client.on('change', () => {
    if (current && client.isEnabled(current.flag, { userId: 'u' }) === current.enabled) arrived()
  })
  clients.push(client)
  await client.ready({ timeoutMs: READY_TIMEOUT_MS })
}

const sockets: WebSocket[] = []
function openBareSocket(): Promise<void> {
  const socket = new WebSocket(url, { handshakeTimeout: READY_TIMEOUT_MS })
  // A client must at least parse what it receives; the floor does that much and no more.
  socket.on('message', (data) => {
    JSON.parse(data.toString())
    if (current) arrived()
  })
  sockets.push(socket)
  return new Promise((resolve, reject) => socket.once('open', () => resolve()).once('error', reject))
}

// Exit normally on the parent's kill, so a `--cpu-prof` of this process gets written.
process.on('SIGTERM', () => process.exit(0))
process.on('message', (message: Expect | { type: 'exit' } | { type: 'stats' }) => {
  if (message.type === 'exit') process.exit(0)
  if (message.type === 'stats') return void process.send!({ type: 'stats', disconnects })
  arrivals = []
  current = message
  // The parent triggers the change only after this: a frame read before the expectation was
  // set (this process behind on its sockets) would otherwise never be counted.
  process.send!({ type: 'armed', round: message.round })
})

const started = performance.now()
try {
  await paced(mode === 'sdk' ? openSdkClient : openBareSocket)
} catch (error) {
  const open = mode === 'sdk' ? clients.filter((c) => c.status === 'ready').length : sockets.filter((s) => s.readyState === s.OPEN).length
  process.stderr.write(`load-gen: only ${open} of ${count} ${mode} connections came up: ${String(error)}\n`)
  process.exit(1)
}
process.send!({ type: 'ready', connectMs: performance.now() - started })
