import type { GuardService } from '../guard/guard-service.ts'
import type { Store } from '../store/contract.ts'
import type { Connection } from './connection.ts'
import { encodeFrame } from './frame.ts'
import type { Send } from './send.ts'

/**
 * The console's live guard figures: updates coalesced to at most one per flag per second,
 * however many SDKs report, so the live chart cannot become the server's bottleneck. Returns
 * the stop function.
 */
export function startConsoleFeed(deps: {
  connections: ReadonlyMap<string, Connection>
  guard: Pick<GuardService, 'onCounts' | 'view'>
  store: Pick<Store, 'flags'>
  send: Send
  intervalMs?: number
}): () => void {
  const { connections, guard, store, send } = deps
  /** Flags whose figures moved, by environment (every SDK batch marks each of its flags). */
  let dirty = new Map<string, Set<string>>()
  const stopCounts = guard.onCounts((env, flag) => {
    let flags = dirty.get(env)
    if (!flags) dirty.set(env, (flags = new Set()))
    flags.add(flag)
  })
  const timer = setInterval(async () => {
    if (dirty.size === 0) return
    const items = [...dirty].flatMap(([env, flags]) => [...flags].map((flag) => [env, flag] as const))
    dirty = new Map()
    for (const [env, flag] of items) {
      let figures: unknown
      try {
        // Only a guarded flag's view needs its state (on or off, settings, last trip): read it then.
        figures = await guard.view(env, flag, () => store.flags.getState(env, flag))
      } catch {
        continue // archived meanwhile: there is nothing left to show
      }
      const frame = encodeFrame({ type: 'guard_update', environment: env, flag, at: Date.now(), guard: figures })
      for (const conn of connections.values())
        if (conn.key.kind === 'admin' && conn.environment === env && conn.sdk !== undefined) send(conn, frame)
    }
  }, deps.intervalMs ?? 1000)
  timer.unref()
  return () => {
    clearInterval(timer)
    stopCounts()
  }
}
