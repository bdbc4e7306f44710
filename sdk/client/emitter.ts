/** Listener signatures by event name. */
export type EventMap<Events> = { [E in keyof Events]: (...args: never[]) => void }

export interface Emitter<Events extends EventMap<Events>> {
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void
  count(event: keyof Events): number
}

/**
 * A minimal typed event emitter. Each listener runs in its own try/catch: one throwing
 * listener must not stop the others or break the message loop that emitted the event.
 *
 * @example
 * const events = createEmitter<{ change: (keys: string[]) => void }>((e) => console.error(e))
 * const off = events.on('change', (keys) => render(keys))
 */
export function createEmitter<Events extends EventMap<Events>>(
  onListenerError: (error: unknown) => void,
): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(...args: never[]) => void>>()
  return {
    on(event, listener) {
      let set = listeners.get(event)
      if (set === undefined) listeners.set(event, (set = new Set()))
      // Wrapped so the same function added twice gets two calls and two unsubscribes.
      const entry = (...args: never[]) => listener(...args)
      set.add(entry)
      return () => {
        set.delete(entry)
      }
    },
    emit(event, ...args) {
      const set = listeners.get(event)
      if (set === undefined) return
      for (const listener of [...set]) {
        try {
          listener(...(args as never[]))
        } catch (error) {
          onListenerError(error)
        }
      }
    },
    count(event) {
      return listeners.get(event)?.size ?? 0
    },
  }
}
