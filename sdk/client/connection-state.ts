import type { ClientStatus } from './types.ts'

/**
 * Where the client stands with its server, as data: a pure reducer `(state, event) → state`
 * replacing the mutable flags the client used to keep. The client dispatches what happened and
 * acts on the difference between the state before and after (a `status` event when the status
 * changed, `ready` when the first state arrived, waking `identify` callers when the owed full
 * result sets are all in).
 *
 * `link` is the connection as the sequencing sees it:
 * - `down`: no open connection (before the first, between reconnects, after close or refusal).
 * - `up`: connected; messages follow the held version.
 * - `resyncing`: connected, a hello went out after a gap; a second gap before the server's
 *   answer means asking again will not help, so the client reconnects instead.
 */
export interface ConnectionState {
  /** The public status (`FlagClient.status`). `fatal` and `closed` are terminal. */
  readonly status: ClientStatus
  /** Some flag state is held (bootstrap, cache or server): answers are no longer `not_ready`. */
  readonly hasState: boolean
  readonly link: 'down' | 'up' | 'resyncing'
  /**
   * Full result sets (results mode) still owed for the hellos and identifies sent on this
   * connection; `identify()` resolves when none is owed.
   */
  readonly fullSetsOwed: number
}

export type ConnectionEvent =
  /** A bootstrap or cache entry was loaded before any connection. */
  | { type: 'state_loaded' }
  /** A connection is up. Whatever the previous one owed is lost with it. */
  | { type: 'opened' }
  /** A hello or identify went out on the open connection (each is answered by one full set). */
  | { type: 'user_sent' }
  /** The server and the client disagree on what was sent (a version gap, a bad frame). */
  | { type: 'gap' }
  /** A server message was applied in order; `fullSet` when it was a full result set. */
  | { type: 'in_sync'; fullSet: boolean }
  /** An open connection was lost; the transport reconnects by itself. */
  | { type: 'lost' }
  /** The server refused or revoked the key: no more updates, ever. */
  | { type: 'refused' }
  /** `close()` stopped the transport. */
  | { type: 'stopped' }
  /** `close()` finished. */
  | { type: 'closed' }

export const INITIAL_CONNECTION_STATE: ConnectionState = Object.freeze({
  status: 'not_ready',
  hasState: false,
  link: 'down',
  fullSetsOwed: 0,
})

/** `fatal` and `closed` stay whatever happens next. */
export const isTerminal = (status: ClientStatus): boolean => status === 'fatal' || status === 'closed'

const withStatus = (state: ConnectionState, status: ClientStatus): ClientStatus =>
  isTerminal(state.status) ? state.status : status

/**
 * The next connection state. Pure: no I/O, no timers; returns `state` itself when nothing
 * changes, so callers can compare by identity.
 *
 * @example
 * let state = INITIAL_CONNECTION_STATE
 * state = reduceConnection(state, { type: 'opened' })
 * state = reduceConnection(state, { type: 'in_sync', fullSet: false })
 * state.status // 'ready'
 */
export function reduceConnection(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event.type) {
    case 'state_loaded':
      return { ...state, status: withStatus(state, 'stale'), hasState: true }
    case 'opened':
      return { ...state, link: 'up', fullSetsOwed: 0 }
    case 'user_sent':
      return { ...state, fullSetsOwed: state.fullSetsOwed + 1 }
    case 'gap':
      // Down: nothing to ask (the next hello resumes). Already resyncing: the client reconnects.
      return state.link === 'up' ? { ...state, link: 'resyncing' } : state
    case 'in_sync':
      return {
        status: withStatus(state, 'ready'),
        hasState: true,
        link: state.link === 'resyncing' ? 'up' : state.link,
        fullSetsOwed: event.fullSet ? Math.max(0, state.fullSetsOwed - 1) : state.fullSetsOwed,
      }
    case 'lost':
      return { ...state, link: 'down', status: withStatus(state, state.hasState ? 'stale' : 'not_ready') }
    case 'refused':
      return { ...state, link: 'down', status: withStatus(state, 'fatal') }
    case 'stopped':
      return state.link === 'down' ? state : { ...state, link: 'down' }
    case 'closed':
      return { ...state, link: 'down', status: withStatus(state, 'closed') }
  }
}
