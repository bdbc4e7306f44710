/**
 * SDK clients (a child process, started with --expose-gc): on `go`, opens `count` real SDK
 * clients at once — the built `@canary-flags/sdk`, as an application installs it — and reports
 * each one's time to ready, and the heap they hold (heapUsed after GC, before and after).
 * With count 1 that is one SDK's ready time and heap; with 100 it is a connect storm.
 *
 * Args: <server url> <server key> <count> <flag that must be on for user-0>
 */
import { createClient } from '@canary-flags/sdk'
import { loadedThenWait } from './ipc.ts'

const [url, key, countArg, probeFlag] = process.argv.slice(2) as [string, string, string, string]
const count = Number(countArg)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('sdk-clients.ts needs --expose-gc')

function heapAfterGc(): number {
  gc!()
  gc!()
  return process.memoryUsage().heapUsed
}

await loadedThenWait('go')
const heapBefore = heapAfterGc()
const started = performance.now()
const clients = Array.from({ length: count }, () =>
  createClient({ url, key, sdkName: 'bench-scale', flushIntervalMs: 3_600_000 }),
)
const readyMs = await Promise.all(
  clients.map((client) => client.ready({ timeoutMs: 120_000 }).then(() => performance.now() - started)),
)
// A client that is ready but has not got the flags would make every figure meaningless.
const wrong = clients.filter((client) => !client.isEnabled(probeFlag, { userId: 'user-0' })).length
if (wrong > 0) throw new Error(`${wrong} of ${count} clients do not have ${probeFlag} on for user-0`)
const heapBytes = heapAfterGc() - heapBefore
// Reported before closing, so the parent's readings (server CPU, /health) end at the last ready.
process.send!({ type: 'result', readyMs, heapBytes })
await Promise.all(clients.map((client) => client.close({ timeoutMs: 1000 })))
process.disconnect()
