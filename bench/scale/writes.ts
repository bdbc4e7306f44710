/**
 * Admin writes/s with N SDKs connected: the writer, the SDKs' load generator and the server each
 * in their own process. Besides the rate and latencies, the server's own CPU time per write
 * (from /proc), and the share of the machine each process took, to tell a slow server from
 * two shared cores being the bound.
 */
import type { ChildProcess } from 'node:child_process'
import { cpus } from 'node:os'
import { bytesWritten, cpuMs, cpuSplitMs, machineCpu } from '../lib/proc-cpu.ts'
import { fanOutTotals } from '../lib/server-metrics.ts'
import { quantile } from '../lib/stats.ts'
import { forkChild } from './ipc.ts'

export interface WriteRun {
  writesPerSecond: number
  medianMs: number
  p99Ms: number
  writes: number
  failures: number
  /** The server's CPU time (user + system) per write over the timed window. */
  serverCpuMsPerWrite: number
  /** Of which system (kernel) time. */
  serverSystemMsPerWrite: number
  /** Bytes the server wrote (sockets and disk) per write: what the fan-out has to move. */
  serverBytesPerWrite: number
  /** CPU time over the window's wall time: 1 is one core busy all along. */
  serverCores: number
  loadGenCores: number | undefined
  writerCores: number
  /** Every process on the machine together (other tenants too), in cores. */
  machineCores: number
  /** Fan-outs the server ran in the window, and their mean duration (its own metric). */
  fanOuts: number
  fanOutMs: number
}

export async function measureWrites(
  server: ChildProcess,
  loadGen: ChildProcess | undefined,
  options: { url: string; adminKey: string; windowMs: number; concurrency: number; flags: string[] },
): Promise<WriteRun> {
  const { url, adminKey, windowMs, concurrency, flags } = options
  const writer = forkChild('./writer.ts', [url, adminKey, String(windowMs), String(concurrency), flags.join(',')])
  try {
    await writer.next('loaded')
    const measuring = writer.next('measuring')
    const result = writer.next<{ latencies: number[]; failures: number; lastError: string; elapsedMs: number }>('result')
    writer.send({ type: 'go' })
    await measuring
    const cpu = () => ({
      server: cpuMs(server.pid!),
      serverSystem: cpuSplitMs(server.pid!).system,
      serverBytes: bytesWritten(server.pid!),
      loadGen: loadGen ? cpuMs(loadGen.pid!) : 0,
      writer: cpuMs(writer.process.pid!),
      at: performance.now(),
    })
    const fanBefore = await fanOutTotals(url, adminKey)
    const machine = machineCpu(cpus().length)
    const before = cpu()
    const { latencies, failures, lastError, elapsedMs } = await result
    const after = cpu()
    const machineCores = machine.busyCores()
    const fanAfter = await fanOutTotals(url, adminKey)
    const fanOuts = fanAfter.count - fanBefore.count
    if (failures > 0) process.stderr.write(`scale: ${failures} writes failed, the last: ${lastError}\n`)
    const wall = after.at - before.at
    return {
      writesPerSecond: latencies.length / (elapsedMs / 1000),
      medianMs: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      writes: latencies.length,
      failures,
      serverCpuMsPerWrite: (after.server - before.server) / latencies.length,
      serverSystemMsPerWrite: (after.serverSystem - before.serverSystem) / latencies.length,
      serverBytesPerWrite: (after.serverBytes - before.serverBytes) / latencies.length,
      serverCores: (after.server - before.server) / wall,
      loadGenCores: loadGen ? (after.loadGen - before.loadGen) / wall : undefined,
      writerCores: (after.writer - before.writer) / wall,
      machineCores,
      fanOuts,
      fanOutMs: fanOuts > 0 ? ((fanAfter.seconds - fanBefore.seconds) * 1000) / fanOuts : 0,
    }
  } finally {
    await writer.stop()
  }
}
