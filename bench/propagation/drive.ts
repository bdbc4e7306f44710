/**
 * The parent's side of the load generator (`load-gen.ts`): start it, and time one change from
 * the admin API call to every connection having it. Shared by the propagation, replicas and
 * scale parts, so they all measure arrival the same way.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const now = () => performance.timeOrigin + performance.now()

/** What the load generator reports once every connection is open (and, for SDKs, ready). */
export interface LoadGenReady {
  /** From the first connection attempt to the last one ready. */
  connectMs: number
}

/**
 * Starts the load generator in its own process and resolves once all its connections are
 * ready. `mode`: real SDK clients, or bare `ws` sockets for the floor.
 */
export async function startLoadGen(mode: 'sdk' | 'bare', url: string, key: string, n: number) {
  const script = fileURLToPath(new URL('./load-gen.ts', import.meta.url))
  const child = fork(script, [mode, url, key, String(n)], { execArgv: ['--import', 'tsx'] })
  const ready = await new Promise<LoadGenReady>((resolve, reject) => {
    child.on('message', (m: { type: string } & LoadGenReady) => m.type === 'ready' && resolve(m))
    child.once('exit', (code) => reject(new Error(`load generator (${n} ${mode}) exited ${code} before all were ready`)))
  })
  return { child, ...ready }
}

/** Both clocks: from the call returning (the measure) and from the call being sent. */
export type Latencies = { fromReturn: number[]; fromSend: number[] }

/**
 * One round: tell the load generator what to wait for, trigger the change, and collect each
 * connection's arrival time minus the trigger's return (and its send).
 */
export async function round(
  gen: ChildProcess,
  roundNo: number,
  expect: { flag: string; enabled: boolean },
  trigger: () => Promise<void>,
): Promise<Latencies> {
  const arrivals = new Promise<number[]>((resolve) => {
    const onMessage = (m: { type: string; round: number; arrivals: number[] }) => {
      if (m.type === 'arrivals' && m.round === roundNo) {
        gen.off('message', onMessage)
        resolve(m.arrivals)
      }
    }
    gen.on('message', onMessage)
  })
  const armed = new Promise<void>((resolve) => {
    const onMessage = (m: { type: string; round: number }) => {
      if (m.type === 'armed' && m.round === roundNo) {
        gen.off('message', onMessage)
        resolve()
      }
    }
    gen.on('message', onMessage)
  })
  gen.send({ type: 'expect', round: roundNo, ...expect })
  await armed
  await new Promise((r) => setTimeout(r, 200))
  const sent = now()
  await trigger()
  const returned = now()
  const times = await arrivals
  return { fromReturn: times.map((t) => t - returned), fromSend: times.map((t) => t - sent) }
}

/** Connections the load generator's SDKs lost and re-opened so far. */
export function disconnects(gen: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string; disconnects: number }) => {
      if (m.type !== 'stats') return
      gen.off('message', onMessage)
      resolve(m.disconnects)
    }
    gen.on('message', onMessage)
    gen.send({ type: 'stats' })
  })
}
