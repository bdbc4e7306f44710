import type { StateCache } from './state-cache.ts'

export interface Persister {
  /** Asks for a write soon; many requests within the delay make one write. */
  schedule(): void
  /** Writes now if a write is pending, and waits for all writes (for `close()`). */
  flush(): Promise<void>
}

/**
 * Debounced, serialized cache writes: a burst of changes makes one write, and writes never
 * overlap (a slow earlier write cannot land after, and over, a later one). The entry is taken
 * when the write starts, so it is always the latest state.
 *
 * @example
 * const persister = createPersister(cache, () => mode.dump(), 500, reportError)
 * persister.schedule()
 */
export function createPersister(
  cache: StateCache,
  entry: () => unknown,
  delayMs: number,
  onError: (error: unknown) => void,
): Persister {
  let timer: ReturnType<typeof setTimeout> | undefined
  let writing: Promise<void> = Promise.resolve()

  const write = () => {
    clearTimeout(timer)
    timer = undefined
    writing = writing.then(async () => {
      const value = entry()
      if (value === undefined) return
      try {
        await cache.save(value)
      } catch (error) {
        onError(error)
      }
    })
    return writing
  }

  return {
    schedule() {
      timer ??= setTimeout(write, delayMs)
    },
    flush() {
      return timer === undefined ? writing : write()
    },
  }
}
