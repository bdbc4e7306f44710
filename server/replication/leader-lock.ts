import pg from 'pg'

/** The advisory lock whose holder runs the guard's decisions and the plans' steps. */
export const GUARD_LEADER_LOCK = 7_236_145_903

/**
 * Leadership among replicas: a PostgreSQL session advisory lock held on a dedicated connection.
 * A replica that does not hold it tries again every `retryMs`; the holder checks its connection
 * as often. When the holder dies its session ends, PostgreSQL frees the lock, and another
 * replica takes it at its next try (within `retryMs`, plus the time PostgreSQL takes to notice
 * a dead peer, which is immediate for a killed process).
 *
 * @example
 * const leader = startLeaderLock({ databaseUrl, log })
 * if (leader.isLeader()) await guard.leaderTick()
 */
export function startLeaderLock(options: {
  databaseUrl: string
  log: (message: string, error?: unknown) => void
  retryMs?: number
  lockId?: number
  /** Called on every change of leadership (true: this replica now leads). */
  onChange?: (leading: boolean) => void
}) {
  const lockId = options.lockId ?? GUARD_LEADER_LOCK
  let client: pg.Client | undefined
  let leading = false
  let closed = false
  let attempt: Promise<void> | undefined

  function setLeading(next: boolean): void {
    if (next === leading) return
    leading = next
    options.log(next ? 'replication: this replica is now the guard leader' : 'replication: this replica is no longer the guard leader')
    options.onChange?.(next)
  }

  function drop(which: pg.Client, error: unknown): void {
    if (client !== which) return
    client = undefined
    setLeading(false)
    if (!closed) options.log('replication: the leader-lock connection failed; retrying', error)
    which.end().catch(() => {}) // already broken; ending it only releases the socket
  }

  async function tryOnce(): Promise<void> {
    if (!client) {
      // A query that hangs (a network partition without a reset) must end the leadership here
      // rather than let this replica act while PostgreSQL has given the lock to another.
      const next = new pg.Client({
        connectionString: options.databaseUrl,
        keepAlive: true,
        query_timeout: Math.max(5000, 5 * (options.retryMs ?? 1000)),
      })
      next.on('error', (error) => drop(next, error))
      await next.connect()
      client = next
    }
    const current = client
    try {
      if (leading) await current.query('select 1') // still connected, so still holding it
      else {
        const { rows } = await current.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [lockId])
        if (rows[0]?.ok && !closed) setLeading(true)
      }
    } catch (error) {
      drop(current, error)
    }
  }

  const run = () => {
    attempt ??= tryOnce()
      .catch((error: unknown) => options.log('replication: connecting for the leader lock failed; retrying', error))
      .finally(() => (attempt = undefined))
  }
  run()
  const timer = setInterval(run, options.retryMs ?? 1000)
  timer.unref()

  return {
    isLeader: () => leading,
    /** Resolves after the first attempt (tests, start-up logs). */
    ready: () => attempt ?? Promise.resolve(),
    /** Releases the lock (by ending the session) so another replica takes over at once. */
    async close(): Promise<void> {
      closed = true
      clearInterval(timer)
      await attempt
      const current = client
      client = undefined
      setLeading(false)
      await current?.end()
    },
  }
}

export type LeaderLock = ReturnType<typeof startLeaderLock>
