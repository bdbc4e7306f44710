/**
 * Parent side of the SDK-clients and `/health` probe children: one SDK's ready time and heap,
 * the probe while idle, and the probe while `count` SDKs connect at once (with the server's CPU
 * time for the storm).
 */
import type { ChildProcess } from 'node:child_process'
import { cpuMs } from '../lib/proc-cpu.ts'
import { eventLoopDelayMaxMs } from '../lib/server-metrics.ts'
import { forkChild } from './ipc.ts'

interface ClientsResult {
  readyMs: number[]
  heapBytes: number
}

/** Runs the SDK-clients (or raw clients) child once: `count` clients at once, on the parent's signal. */
async function clients(
  kind: 'sdk' | 'raw',
  url: string,
  key: string,
  count: number,
  probeFlag: string,
  hooks: { go?: () => void; ready?: () => Promise<void> } = {},
) {
  // Heap for 100 SDKs of 10,000 flags each, plus the snapshots being parsed.
  const child =
    kind === 'sdk'
      ? forkChild('./sdk-clients.ts', [url, key, String(count), probeFlag], ['--expose-gc', '--max-old-space-size=8192'])
      : forkChild('./raw-clients.ts', [url, key, String(count)])
  try {
    await child.next('loaded')
    hooks.go?.()
    child.send({ type: 'go' })
    const result = await child.next<ClientsResult>('result')
    await hooks.ready?.()
    return result
  } finally {
    await child.stop()
  }
}

/** One real SDK client, `runs` times in fresh processes: ready time and heap delta each. */
export async function oneSdk(url: string, key: string, probeFlag: string, runs: number) {
  const readyMs: number[] = []
  const heapBytes: number[] = []
  for (let i = 0; i < runs; i++) {
    const result = await clients('sdk', url, key, 1, probeFlag)
    readyMs.push(result.readyMs[0]!)
    heapBytes.push(result.heapBytes)
  }
  return { readyMs, heapBytes }
}

/** Starts the `/health` probe; `stop()` resolves with its latencies. */
async function startProbe(url: string) {
  const probe = forkChild('./health-probe.ts', [url])
  await probe.next('loaded')
  probe.send({ type: 'go' })
  return {
    async stop(): Promise<number[]> {
      const result = probe.next<{ samples: number[] }>('result')
      probe.send({ type: 'stop' })
      const { samples } = await result
      await probe.stop()
      return samples
    },
  }
}

/** `/health` latencies over `ms` of an otherwise idle server. */
export async function idleHealth(url: string, ms: number): Promise<number[]> {
  const probe = await startProbe(url)
  await new Promise((r) => setTimeout(r, ms))
  return probe.stop()
}

/**
 * `count` SDKs (or raw protocol clients) connecting at once, with the probe running from before
 * the first connection until the last one is ready; the server's CPU time is read around the
 * same span.
 */
export async function connectStorm(
  kind: 'sdk' | 'raw',
  server: ChildProcess,
  url: string,
  keys: { server: string; admin: string },
  count: number,
  probeFlag: string,
) {
  const key = keys.server
  const probe = await startProbe(url)
  await new Promise((r) => setTimeout(r, 300)) // the probe's own start-up is not in the storm
  await eventLoopDelayMaxMs(url, keys.admin) // starts the server's delay window
  let cpuBefore = 0
  let serverCpuMs = 0
  let health: number[] = []
  let loopDelayMaxMs = Number.NaN
  const result = await clients(kind, url, key, count, probeFlag, {
    go: () => (cpuBefore = cpuMs(server.pid!)),
    ready: async () => {
      serverCpuMs = cpuMs(server.pid!) - cpuBefore
      loopDelayMaxMs = await eventLoopDelayMaxMs(url, keys.admin)
      health = await probe.stop()
    },
  })
  return { readyMs: result.readyMs, heapBytes: result.heapBytes, serverCpuMs, health, loopDelayMaxMs }
}
