import type { Change } from '../../sdk/core/changes.ts'

export type ChangeListener = (change: Change) => void

/**
 * Committed changes fan out from here to whoever listens per environment (the WebSocket
 * adapter, the guard). Knows nothing about sockets. Publish only after the transaction commits.
 */
export function createHub(onListenerError: (error: unknown) => void = () => {}) {
  /** One failing listener must not stop the others from hearing the change. */
  const safely = (call: () => void) => {
    try {
      call()
    } catch (error) {
      onListenerError(error)
    }
  }
  const listeners = new Map<string, Set<ChangeListener>>()
  const everywhere = new Set<(envKey: string, change: Change) => void>()
  const resyncListeners = new Set<(envKey: string, version: number) => void>()
  return {
    /** Hears the changes of every environment, including ones created later. */
    subscribeAll(listener: (envKey: string, change: Change) => void): () => void {
      everywhere.add(listener)
      return () => everywhere.delete(listener)
    },
    subscribe(envKey: string, listener: ChangeListener): () => void {
      let set = listeners.get(envKey)
      if (!set) listeners.set(envKey, (set = new Set()))
      set.add(listener)
      return () => set.delete(listener)
    },
    /**
     * Replicas only: the changes of `envKey` up to `version` can no longer be published one by one
     * (the change log did not hold them); listeners start again from a snapshot.
     */
    onResync(listener: (envKey: string, version: number) => void): () => void {
      resyncListeners.add(listener)
      return () => resyncListeners.delete(listener)
    },
    resync(envKey: string, version: number): void {
      for (const listener of resyncListeners) safely(() => listener(envKey, version))
    },
    publish(envKey: string, change: Change): void {
      for (const listener of everywhere) safely(() => listener(envKey, change))
      for (const listener of listeners.get(envKey) ?? []) safely(() => listener(change))
    },
  }
}

export type Hub = ReturnType<typeof createHub>
