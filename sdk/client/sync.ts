import type { ClientMessage, ServerMessage } from '../core/protocol.ts'
import type { Answers } from './answers.ts'
import type { ConnectionEvent, ConnectionState } from './connection-state.ts'
import type { MetricsReporter } from './metrics-reporter.ts'
import type { Mode } from './mode.ts'
import type { Persister } from './persister.ts'
import type { Transport } from './transport.ts'
import type { Logger } from './types.ts'

export interface SyncDeps {
  mode: Mode
  sdkName: string
  logger: Logger
  answers: Answers
  metrics: MetricsReporter
  persister: Persister | undefined
  /** The transport once connected; undefined while it is being created. */
  transport: () => Transport | undefined
  /** Applies a connection event; returns the state before it. */
  dispatch: (event: ConnectionEvent) => ConnectionState
  /** The connection state now. */
  state: () => ConnectionState
  /** Flags whose answers may have changed. */
  changed: (keys: string[]) => void
  /** Every full result set owed on this connection has arrived: wake `identify` callers. */
  identified: () => void
}

export interface Sync {
  /** A connection is up: say hello (again). */
  opened(): void
  /** One text frame from the server, unparsed. */
  message(text: string): void
  /** Sends hello or identify; in results mode each is answered by one full result set. */
  sendUserMessage(message: ClientMessage): void
}

/**
 * Keeps the held state in step with the server: applies messages in version order and, when
 * the two disagree (a gap, a frame that does not fit), asks for the whole state again, or
 * reconnects when asking already failed once. Counts the full result sets owed to `identify`.
 *
 * @example
 * const sync = createSync({ mode, sdkName, logger, answers, metrics, persister, transport: () => t, dispatch, state, changed, identified })
 * sync.opened()
 * sync.message('{"type":"snapshot",…}')
 */
export function createSync(deps: SyncDeps): Sync {
  const { mode, sdkName, logger, answers, metrics, persister, dispatch } = deps

  const sendUserMessage = (message: ClientMessage) => {
    if (deps.transport()?.send(message)) dispatch({ type: 'user_sent' })
  }

  /** The server and this client disagree on what was sent: ask again, or start over. */
  const resync = (why: string, error?: unknown) => {
    logger.debug?.(`resync: ${why}`, error)
    const transport = deps.transport()
    if (transport === undefined) return
    const before = dispatch({ type: 'gap' })
    if (before.link === 'resyncing') return transport.reconnect()
    if (before.link === 'up') sendUserMessage(mode.hello(sdkName))
  }

  const apply = (message: ServerMessage) => {
    let applied
    try {
      applied = mode.apply(message)
    } catch (error) {
      // A frame that parsed but does not fit the held state (e.g. a malformed change).
      answers.refresh()
      return resync('a message could not be applied', error)
    }
    // Changes applied before a gap stand; answers follow the state actually held.
    const fullSet = message.type === 'results' && message.full
    answers.refresh(fullSet || message.type === 'snapshot' ? undefined : applied.keys)
    if (applied.resync) {
      resync(`${message.type} did not follow version ${mode.version}`)
    } else {
      dispatch({ type: 'in_sync', fullSet })
      // identify() waits for the answers for the new user: the full set that answers the last
      // identify, not one still in flight for an earlier hello.
      if (fullSet && deps.state().fullSetsOwed === 0) deps.identified()
    }
    persister?.schedule()
    if (applied.keys.length > 0) deps.changed(applied.keys)
  }

  return {
    opened() {
      dispatch({ type: 'opened' })
      sendUserMessage(mode.hello(sdkName))
      metrics.connected()
    },
    message(text) {
      const message = mode.parse(text)
      if (message === undefined) return resync('unparseable frame')
      if (message.type === 'pong') return
      if (message.type === 'metrics_ack') return metrics.ack(message.id)
      apply(message)
    },
    sendUserMessage,
  }
}
