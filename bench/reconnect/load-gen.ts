/**
 * Reconnect load generator (a child process, see main.ts): N lightweight SDKs, each the real
 * SDK connection (`sdk/client/connection.ts`: its backoff, its restart schedule, its retry
 * classification) over a real `ws` socket, with a protocol handler that only tracks the
 * environment version (no rules are evaluated, so 10,000 fit in one process on one core).
 *
 * Parent → child: `{ type: 'expect', version }` (the version the restarted server will hold).
 * Child → parent: `ready` once all are in sync; `synced` with, per SDK, when it reached that
 * version, when its connection to the new process opened, and how many attempts it made.
 * Times are `performance.timeOrigin + performance.now()`, comparable with the parent's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createBackoff } from '../../sdk/core/backoff.ts'
import type { ServerMessage } from '../../sdk/core/protocol.ts'
import { createConnection } from '../../sdk/client/connection.ts'
import { openNodeSocket } from '../../sdk/client/node-socket.ts'
import type { Transport } from '../../sdk/client/transport.ts'

const [url, key, countArg] = process.argv.slice(2) as [string, string, string]
const count = Number(countArg)
const now = () => performance.timeOrigin + performance.now()
/** Initial connections opened at once (the first connect is not what is measured). */
const WINDOW = 200

interface Sdk {
  version: number
  /** When it reached `target` (0: not yet). */
  syncedAt: number
  /** When its latest connection opened. */
  openedAt: number
  attempts: number
  transport?: Transport
  onSync?: () => void
}

/** The load generator's own event-loop delay since `expect`: a late SDK may be late here, not at the server. */
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
let target = Number.POSITIVE_INFINITY
let synced = 0
let fatal = 0
const sdks: Sdk[] = []

/** How attempts ended since the last `expect` (close codes, refusals): why an SDK was late. */
const outcomes = new Map<string, number>()
const outcome = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1)

function report() {
  process.send!({
    type: 'synced',
    syncedAt: sdks.map((s) => s.syncedAt),
    openedAt: sdks.map((s) => s.openedAt),
    attempts: sdks.map((s) => s.attempts),
    fatal,
    outcomes: Object.fromEntries(outcomes),
    loopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  })
}

function applied(sdk: Sdk, version: number) {
  sdk.version = Math.max(sdk.version, version)
  sdk.onSync?.()
  if (sdk.syncedAt === 0 && sdk.version >= target) {
    sdk.syncedAt = now()
    if (++synced === count) report()
  }
}

function open(sdk: Sdk): Transport {
  const transport = createConnection({
    url: `${url.replace(/^http/, 'ws')}/api/v1/stream`,
    key,
    openSocket: (u, k, handlers) => {
      sdk.attempts++
      const started = now()
      return openNodeSocket(u, k, {
        ...handlers,
        open() {
          outcome(now() - started < 1000 ? 'opened within 1 s' : 'opened after 1 s or more')
          handlers.open()
        },
        close(code, reason) {
          if (sdk.openedAt < started) {
            const ms = now() - started
            outcome(ms < 1000 ? 'failed within 1 s' : ms < 10_000 ? 'failed after 1–10 s' : 'timed out (10 s)')
          }
          handlers.close(code, reason)
        },
        refused(status) {
          outcome(`refused ${status}`)
          handlers.refused(status)
        },
      })
    },
    backoff: createBackoff({ random: Math.random }),
    now: Date.now,
    handlers: {
      open() {
        sdk.openedAt = now()
        transport.send({ type: 'hello', sdk: 'bench-reconnect', ...(sdk.version > 0 ? { version: sdk.version } : {}) })
      },
      ping: () => ({ type: 'ping', version: sdk.version }),
      message(text) {
        const message = JSON.parse(text) as ServerMessage
        if (message.type === 'snapshot') applied(sdk, message.version)
        else if (message.type === 'changes') applied(sdk, message.changes.at(-1)?.version ?? sdk.version)
      },
      down() {},
      fatal() {
        fatal++
      },
    },
  })
  return transport
}

/** Opens all N, at most WINDOW at a time, each waiting for its first snapshot. */
async function connectAll() {
  let next = 0
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      const sdk: Sdk = { version: 0, syncedAt: 0, openedAt: 0, attempts: 0 }
      sdks.push(sdk)
      await new Promise<void>((resolve) => {
        sdk.onSync = () => {
          sdk.onSync = undefined
          resolve()
        }
        sdk.transport = open(sdk)
      })
    }
  }
  await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, lane))
}

process.on('message', (message: { type: 'expect'; version: number } | { type: 'exit' }) => {
  if (message.type === 'exit') {
    for (const sdk of sdks) sdk.transport?.close()
    process.exit(0)
  }
  if (message.type === 'expect') {
    target = message.version
    synced = 0
    outcomes.clear()
    loopDelay.reset()
    for (const sdk of sdks) {
      sdk.syncedAt = 0
      sdk.attempts = 0
    }
    process.send!({ type: 'armed' })
  }
})

await connectAll()
process.send!({ type: 'ready', version: Math.min(...sdks.map((s) => s.version)) })
