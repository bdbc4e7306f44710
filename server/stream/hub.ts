import type { Change } from '../../sdk/core/changes.ts'

export type ChangeListener = (change: Change) => void

/**
 * Committed changes fan out from here to whoever listens per environment (the WebSocket
 * adapter, the guard). Knows nothing about sockets. Publish only after the transaction commits.
 */
export function createHub(onListenerError: (error: unknown) => void = () => {}) {
  const listeners = new Map<string, Set<ChangeListener>>()
  return {
    subscribe(envKey: string, listener: ChangeListener): () => void {
      let set = listeners.get(envKey)
      if (!set) listeners.set(envKey, (set = new Set()))
      set.add(listener)
      return () => set.delete(listener)
    },
    publish(envKey: string, change: Change): void {
      for (const listener of listeners.get(envKey) ?? []) {
        // One failing listener must not stop the others from hearing the change.
        try {
          listener(change)
        } catch (error) {
          onListenerError(error)
        }
      }
    },
  }
}

export type Hub = ReturnType<typeof createHub>
