/**
 * At most `limit` things open at once per key (connections per remote address). `acquire`
 * returns a release function, or undefined when the key is at its limit.
 *
 * @example
 * const perAddress = createConcurrencyLimiter({ limit: 200 })
 * const release = perAddress.acquire('203.0.113.7')
 * if (!release) return refuse(429)
 * socket.on('close', release)
 */
export function createConcurrencyLimiter(options: { limit: number }) {
  const open = new Map<string, number>()
  return {
    acquire(key: string): (() => void) | undefined {
      const count = open.get(key) ?? 0
      if (count >= options.limit) return undefined
      open.set(key, count + 1)
      let released = false
      return () => {
        if (released) return // a socket may report close twice; count it once
        released = true
        const left = (open.get(key) ?? 1) - 1
        if (left <= 0) open.delete(key)
        else open.set(key, left)
      }
    },
    count: (key: string) => open.get(key) ?? 0,
  }
}

export type ConcurrencyLimiter = ReturnType<typeof createConcurrencyLimiter>
