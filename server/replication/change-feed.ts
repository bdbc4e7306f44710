import pg from 'pg'
import type { KeyIndex } from '../auth/key-index.ts'
import { KEYS_CHANNEL, parseKeyAnnouncement } from '../store/pg/key-announcement.ts'
import { CHANGES_CHANNEL, parseAnnouncement } from '../store/pg/record-change.ts'
import type { Store } from '../store/contract.ts'
import type { Sequencer } from './sequencer.ts'

export interface ChangeFeedOptions {
  databaseUrl: string
  store: Pick<Store, 'flags'>
  sequencer: Sequencer
  /**
   * Revocations announced by any replica (`canary_keys`), heard on the same connection as the
   * changes and so in commit order with them; re-checked against the store whenever what was
   * heard may be incomplete (a reconnect, a change found by the version check).
   */
  keys?: Pick<KeyIndex, 'markRevoked' | 'recheck' | 'rightsChanged'>
  log: (message: string, error?: unknown) => void
  /** How often every environment's version is compared with what was published (default 1 s). */
  checkMs?: number
  /** Longest wait between reconnection attempts of the LISTEN connection (default 5 s). */
  maxBackoffMs?: number
}

/**
 * The other replicas' changes, for this replica: one dedicated connection LISTENs to
 * `canary_changes` (`<env>:<version>:<change>`, sent at commit) and hands each change to the
 * sequencer, which publishes it when it follows the last version published and otherwise (or
 * when the change was too big to announce) reads the change log from there. A version check
 * every `checkMs` catches up after a lost notification or while the connection is down
 * (reconnected with backoff).
 *
 * @example
 * const feed = await startChangeFeed({ databaseUrl, store, sequencer, log })
 * // …
 * await feed.close()
 */
export async function startChangeFeed(options: ChangeFeedOptions) {
  const { sequencer, log } = options
  const maxBackoffMs = options.maxBackoffMs ?? 5000
  let client: pg.Client | undefined
  let closed = false
  let failures = 0
  let reconnectTimer: NodeJS.Timeout | undefined

  async function check(): Promise<void> {
    const envs = await options.store.flags.listEnvironments()
    // A change found here may have overtaken its revocation's notice (another connection):
    // read the keys first, so a key revoked before the change is closed before it is published.
    if (options.keys && envs.some((env) => env.version > sequencer.published(env.key))) await options.keys.recheck()
    for (const env of envs) sequencer.notice(env.key, env.version)
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.databaseUrl, keepAlive: true })
    next.on('notification', (message) => {
      if (message.channel === KEYS_CHANNEL) {
        // Synchronously, before the next notification (a later change) is handled.
        const announced = message.payload ? parseKeyAnnouncement(message.payload) : undefined
        if (announced && 'revoked' in announced) options.keys?.markRevoked(announced.revoked)
        else if (announced) options.keys?.rightsChanged([announced.rightsChanged])
        return
      }
      const announced = message.channel === CHANGES_CHANNEL && message.payload ? parseAnnouncement(message.payload) : undefined
      if (!announced) return
      // The change itself when it fitted in the payload (no read), else the change log has it.
      if (announced.change) sequencer.offer(announced.environment, announced.change)
      else sequencer.notice(announced.environment, announced.version)
    })
    next.on('error', (error) => lost(next, error))
    next.on('end', () => lost(next, new Error('connection ended')))
    await next.connect()
    await next.query(`listen ${CHANGES_CHANNEL}; listen ${KEYS_CHANNEL}`)
    client = next
    failures = 0
  }

  /** The LISTEN connection failed: what it missed is found by the next check; reconnect. */
  function lost(which: pg.Client, error: unknown): void {
    if (client !== which || closed) return
    client = undefined
    log('replication: the LISTEN connection was lost; reconnecting (the version check covers the gap)', error)
    which.end().catch(() => {}) // already broken; ending it only releases the socket
    scheduleReconnect()
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer) return
    const delay = Math.min(maxBackoffMs, 100 * 2 ** failures++)
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined
      // Revocations announced while the connection was down were not heard: read the keys.
      connect().then(() => options.keys?.recheck()).then(check).catch((error: unknown) => {
        log('replication: reconnecting the LISTEN connection failed; retrying', error)
        scheduleReconnect()
      })
    }, delay)
    reconnectTimer.unref()
  }

  // Versions first, LISTEN next, then one check: a change committed in between is not missed.
  sequencer.start(await options.store.flags.listEnvironments())
  await connect()
  await check()

  let checking: Promise<void> | undefined
  const timer = setInterval(() => {
    checking ??= check()
      .catch((error: unknown) => log('replication: version check failed', error))
      .finally(() => (checking = undefined))
  }, options.checkMs ?? 1000)
  timer.unref()

  return {
    /** Whether the LISTEN connection is up (the version check runs either way). */
    listening: () => client !== undefined,
    async close(): Promise<void> {
      closed = true
      clearInterval(timer)
      clearTimeout(reconnectTimer)
      await checking
      const current = client
      client = undefined
      await current?.end()
    },
  }
}

export type ChangeFeed = Awaited<ReturnType<typeof startChangeFeed>>
