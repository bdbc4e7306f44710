/**
 * Load generator (a child process of run.ts): opens N connections — real SDK clients, or raw
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

type Expect = { type: 'expect'; round: number; flag: string; enabled: boolean }
let current: Expect | undefined
let arrivals: number[] = []

function arrived() {
  arrivals.push(now())
  if (current && arrivals.length === count) {
    process.send!({ type: 'arrivals', round: current.round, arrivals })
    current = undefined
  }
}

async function openSdkClients(): Promise<void> {
  const clients: FlagClient[] = []
  for (let i = 0; i < count; i++) {
    const client = createClient({ url: urls[i % urls.length]!, key, sdkName: 'bench-load-gen', flushIntervalMs: 3_600_000 })
    client.on('change', () => {
      if (current && client.isEnabled(current.flag, { userId: 'u' }) === current.enabled) arrived()
    })
    clients.push(client)
    // Connect in slices so the server's accept queue is not the thing being measured.
    if (i % 200 === 199) await new Promise((r) => setTimeout(r, 50))
  }
  await Promise.all(clients.map((c) => c.ready({ timeoutMs: 120_000 })))
}

async function openBareSockets(): Promise<void> {
  const opened: Promise<void>[] = []
  for (let i = 0; i < count; i++) {
    const socket = new WebSocket(url)
    // A client must at least parse what it receives; the floor does that much and no more.
    socket.on('message', (data) => {
      JSON.parse(data.toString())
      if (current) arrived()
    })
    opened.push(new Promise((resolve, reject) => socket.once('open', () => resolve()).once('error', reject)))
    if (i % 200 === 199) await new Promise((r) => setTimeout(r, 50))
  }
  await Promise.all(opened)
}

process.on('message', (message: Expect | { type: 'exit' }) => {
  if (message.type === 'exit') process.exit(0)
  arrivals = []
  current = message
})

await (mode === 'sdk' ? openSdkClients() : openBareSockets())
process.send!({ type: 'ready' })
