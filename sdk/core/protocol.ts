import type { Change, Snapshot } from './changes.ts'
import type { CountedArm, LegacyCounts } from './metrics.ts'
import type { EvalResult, User } from './types.ts'

/**
 * The WebSocket protocol (`/api/v1/stream`, sub-protocol `canary-flags.v1`), as JSON text frames.
 *
 * Server-key connection:  SDK → hello{version?}   server → snapshot | changes, then changes…
 * Client-key connection:  SDK → hello{user}        server → results{full}, then results{diff}…
 * Both: SDK → ping, server → pong (browsers cannot send WebSocket pings); SDK → metrics.
 * Admin-key connection (web console): hello{sdk}   server → console_change…, guard_update…
 * A change's `version` is the environment's version after it; a gap means "resync".
 */
export const PROTOCOL = 'canary-flags.v1'

/**
 * Per-flag guard counts of one batch: named counters per arm (`{ canary: { exposures, errors,
 * durations? }, control: {…} }`, see metrics.ts). `durations` is an optional histogram of the
 * arm's request durations: `DURATION_BUCKETS` counts, one per bound of `DURATION_BOUNDS` (ms)
 * plus one for slower requests, summing to at most the arm's exposures. A server ignores
 * counters and arms it does not know, so an SDK may report a metric before every server reads
 * it. The four-number form of older SDKs (`[canary exposures, canary errors, control exposures,
 * control errors]`) is still accepted.
 */
export type FlagCounts = Partial<Record<CountedArm, Record<string, number | number[]>>> | LegacyCounts

export interface MetricsBatch {
  /** Unique per batch; the server ingests a batch id once, so a resend cannot double-count. */
  id: string
  /** Epoch ms when counting for this batch started and ended. */
  start: number
  end: number
  flags: Record<string, FlagCounts>
}

export type ClientMessage =
  /**
   * `bucketing`: the cohort bucketing modes this SDK evaluates (server keys; absent = none). The
   * server sends a flag with a cohort in another mode as unavailable (off, no cohorts), never
   * for the SDK to bucket with the project's own hash (SPEC.md §3, "Bucketing capability").
   */
  | { type: 'hello'; sdk: string; version?: number; user?: User; bucketing?: string[] }
  | { type: 'identify'; user: User }
  /** `version`: the environment version the SDK has applied (shown in the connections list). */
  | { type: 'ping'; version?: number }
  | { type: 'metrics'; batch: MetricsBatch }

/** A client message as the server receives it: a metrics batch is still unvalidated there. */
export type ReceivedClientMessage = Exclude<ClientMessage, { type: 'metrics' }> | { type: 'metrics'; batch: Record<string, unknown> }

export type ServerMessage =
  | ({ type: 'snapshot' } & Snapshot)
  | { type: 'changes'; changes: Change[] }
  | { type: 'results'; version: number; full: boolean; results: Record<string, EvalResult | null> }
  /** The batch was ingested, or (with `error`) refused for good: either way, do not resend it. */
  | { type: 'metrics_ack'; id: string; error?: { code: string; message: string } }
  | { type: 'pong' }
  /** Admin-key (web console) connections: every committed change of the key's environments… */
  | { type: 'console_change'; environment: string; change: Change }
  /** …and, at most once a second per flag, the guard's view after new counts arrived. */
  | { type: 'guard_update'; environment: string; flag: string; at: number; guard: unknown }

/** `CLOSE.restart` and `CLOSE.revoked` on their own, so the SDK can read them without the table. */
export const CLOSE_RESTART = 1012
export const CLOSE_REVOKED = 4401

/** Close codes, so an SDK can tell "stop, fix your config" from "reconnect". */
export const CLOSE = {
  invalidPayload: 1007,
  policy: 1008,
  tooBig: 1009,
  goingAway: 1001,
  /**
   * The server is shutting down or restarting (1012, Service Restart), sent to every stream on
   * graceful shutdown (SIGTERM/SIGINT). An SDK reconnects promptly but spread out: it draws one
   * phase in a spread window (1 s by default) and tries at that phase and then once per
   * window until a connection opens (for 30 s, then ordinary backoff). Whenever the successor
   * answers, every SDK is back within one window and the successor sees them arrive evenly (at
   * most fleet ÷ window per second) rather than all at once. The close reason names the window
   * the server wants (`restartCloseReason`): the server widens it in proportion to the number
   * of SDKs it is closing, so that their successor sees a bounded connection rate whatever the
   * fleet's size. See `sdk/core/backoff.ts`.
   */
  restart: CLOSE_RESTART,
  /** The key was revoked while connected: do not reconnect with it. */
  revoked: CLOSE_REVOKED,
  /**
   * Console streams of people only: the person's roles changed while connected. Reconnecting
   * asks for a new ticket, which is authorized with the new roles.
   */
  rightsChanged: 4403,
  /** The SDK did not read fast enough; it may reconnect and resync. */
  slowConsumer: 4408,
  /** Too many identities on this connection (client keys); reconnect after a backoff. */
  rateLimited: 4429,
} as const

/** The widest restart window a close reason may ask for (a longer one is read as this). */
export const MAX_RESTART_SPREAD_MS = 60_000

/**
 * The reason of a restart close (1012): `server restarting: reconnect within <ms> ms`, the
 * window over which the server asks its SDKs to spread their reconnects. Under the 123 bytes a
 * close reason may hold.
 *
 * @example
 * restartCloseReason(5000) // 'server restarting: reconnect within 5000 ms'
 */
export const restartCloseReason = (spreadMs: number): string =>
  `server restarting: reconnect within ${Math.round(spreadMs)} ms`

/**
 * The window a restart close's reason asks for, at most `MAX_RESTART_SPREAD_MS`; undefined when
 * it names none (an older server, a proxy): the SDK then uses its own default.
 *
 * @example
 * restartSpreadOf('server restarting: reconnect within 5000 ms') // 5000
 * restartSpreadOf('going away') // undefined
 */
export function restartSpreadOf(reason: string): number | undefined {
  const match = /reconnect within (\d{1,9}) ms/.exec(reason)
  if (!match) return undefined
  return Math.min(MAX_RESTART_SPREAD_MS, Number(match[1]))
}

/** A JSON object (not null, not an array): what every frame, and the SDK's bootstrap and cache entries, must be. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isVersion = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0
/** Mode names the server does not know are allowed (a newer SDK) and ignored; the list is bounded. */
const isModeList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length <= 16 && v.every((m) => typeof m === 'string' && m.length <= 64)


/**
 * Parses one frame from an SDK. Returns the message, or a string saying what is wrong with it:
 * the server closes that one socket with the reason.
 */
export function parseClientMessage(text: string): ReceivedClientMessage | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'invalid JSON'
  }
  if (!isRecord(value)) return 'a message must be a JSON object'
  switch (value.type) {
    case 'hello':
      if (typeof value.sdk !== 'string') return 'hello.sdk must be a string'
      if (value.version !== undefined && !isVersion(value.version)) return 'hello.version must be a non-negative integer'
      if (value.user !== undefined && !isRecord(value.user)) return 'hello.user must be an object'
      if (value.bucketing !== undefined && !isModeList(value.bucketing)) return 'hello.bucketing must be an array of at most 16 mode names'
      return value as ReceivedClientMessage
    case 'identify':
      return isRecord(value.user) ? (value as ReceivedClientMessage) : 'identify.user must be an object'
    case 'ping':
      return isVersion(value.version) ? { type: 'ping', version: value.version } : { type: 'ping' }
    case 'metrics':
      // Only the envelope here: the server validates the batch itself, the same way for every
      // transport, and refuses a bad one without closing the socket.
      return isRecord(value.batch) ? { type: 'metrics', batch: value.batch } : 'metrics.batch must be an object'
    default:
      return `unknown message type ${JSON.stringify(value.type)}`
  }
}

/** A frame's JSON object, or undefined when it is not JSON or not an object. */
function readFrame(text: string): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return isRecord(value) ? value : undefined
}

/** The messages of both kinds of connection: results, metrics acknowledgements and pongs. */
function commonServerMessage(value: Record<string, unknown>): ServerMessage | undefined {
  switch (value.type) {
    case 'results':
      return isVersion(value.version) && isRecord(value.results) ? (value as ServerMessage) : undefined
    case 'metrics_ack':
      return typeof value.id === 'string' ? (value as ServerMessage) : undefined
    case 'pong':
      return { type: 'pong' }
    default:
      return undefined
  }
}

/**
 * Parses one frame from the server; undefined when it is not a message this SDK understands
 * (the SDK then resyncs rather than guessing).
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  const value = readFrame(text)
  if (value === undefined) return undefined
  switch (value.type) {
    case 'snapshot':
      return isVersion(value.version) && Array.isArray(value.flags) && Array.isArray(value.segments)
        ? (value as ServerMessage)
        : undefined
    case 'changes':
      return Array.isArray(value.changes) && value.changes.every((c) => isRecord(c) && isVersion(c.version))
        ? (value as ServerMessage)
        : undefined
    default:
      return commonServerMessage(value)
  }
}

/**
 * `parseServerMessage` for a client-key connection (results mode), which is never sent rules: a
 * `snapshot` or `changes` frame is not understood (undefined, so the SDK resyncs). Its own
 * function so that the browser build does not carry the rules messages' checks.
 */
export function parseResultsMessage(text: string): ServerMessage | undefined {
  const value = readFrame(text)
  return value === undefined ? undefined : commonServerMessage(value)
}
