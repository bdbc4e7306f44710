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
  // Copy-on-write lists: `on` and its unsubscribe are rare, `emit` runs for every change the
  // SDK applies and iterates the list it finds without copying it (a listener added or removed
  // meanwhile takes effect from the next emit).
  const listeners = new Map<keyof Events, ReadonlyArray<{ listener: (...args: never[]) => void }>>()
  return {
    on(event, listener) {
      // One record per `on`: the same function added twice gets two calls and two unsubscribes.
      const entry = { listener: listener as (...args: never[]) => void }
      listeners.set(event, [...(listeners.get(event) ?? []), entry])
      return () => {
        const list = listeners.get(event) ?? []
        if (list.includes(entry)) listeners.set(event, list.filter((other) => other !== entry))
      }
    },
    emit(event, ...args) {
      const list = listeners.get(event)
      if (list === undefined) return
      for (const entry of list) {
        try {
          entry.listener(...(args as never[]))
        } catch (error) {
          onListenerError(error)
        }
      }
    },
    count(event) {
      return listeners.get(event)?.length ?? 0
    },
  }
}
