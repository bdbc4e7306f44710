import type { Snapshot } from '../core/changes.ts'
import type { EvalResult, GenericReason, Reason, User } from '../core/types.ts'
import type { ClientError } from './errors.ts'
import type { StateCache } from './state-cache.ts'

/** Where the client stands, in the terms an OpenFeature provider reports. */
export type ClientStatus =
  /** No flag state yet: every answer is the caller's default. */
  | 'not_ready'
  /** Connected and in sync with the server. */
  | 'ready'
  /** Answering from a bootstrap, a cache or the last known state while (re)connecting. */
  | 'stale'
  /** The server refused the key; answers come from the last known state, no more updates. */
  | 'fatal'
  | 'closed'

/** Why an answer is what it is: the evaluation reason, or `not_ready` before any state. */
export type DetailReason = Reason | 'not_ready'

/** An answer with its reason (what an OpenFeature provider's resolution details need). */
export interface EvaluationDetails {
  enabled: boolean
  reason: DetailReason
}

/** An answer with both its reason and its generic (OpenFeature) reason; see `FlagClient.resolve`. */
export interface ResolvedDetails extends EvaluationDetails {
  /** TARGETING_MATCH, SPLIT, DEFAULT, DISABLED or ERROR; undefined when there was no answer. */
  generic: GenericReason | undefined
}

export interface ClientEvents {
  /** Flags whose answers may have changed (after the first state). */
  change: (keys: string[]) => void
  /** The client has flag state for the first time (bootstrap, cache or server). Once. */
  ready: () => void
  /** Something the application should know about (a refused key, a broken cache). */
  error: (error: ClientError) => void
  /** An open connection was lost; the client reconnects and answers from the last state. */
  disconnected: () => void
  /** The status changed (e.g. `stale` after a lost connection, `ready` once back in sync). */
  status: (status: ClientStatus) => void
  /**
   * A flag key the held state does not have was asked for (a typo, a flag not yet created, or
   * one hidden from a client key): once per key, beside a warning through the logger.
   */
  unknownFlag: (flag: string) => void
}

/** Where diagnostics go. Unset methods are silent; the default is the console (warn and error). */
export interface Logger {
  debug?(message: string, detail?: unknown): void
  warn?(message: string, detail?: unknown): void
  error?(message: string, detail?: unknown): void
}

/** Answers to start from in results mode (client keys). */
export interface ResultsBootstrap {
  version?: number
  results: Record<string, EvalResult>
}

export interface ClientOptions {
  /** The server's base URL, e.g. `https://flags.example.com` (`ws(s)://` works too). */
  url: string
  /** An SDK key: `cf_server_…` (rules evaluated locally) or `cf_client_…` (server-side results). */
  key: string
  /**
   * The current user. With a client key the server evaluates for this user (change it with
   * `identify`); with a server key it is the default for calls that pass no user.
   */
  user?: User
  /** State to answer from before the server is reached: a snapshot (server keys) or results (client keys). */
  bootstrap?: Snapshot | ResultsBootstrap
  /** A file path (Node) or `localStorage` key (browsers), or a custom store. */
  cache?: string | StateCache
  /** Same as `on('error', onError)`, but also hears errors raised while starting. */
  onError?: (error: ClientError) => void
  /** How often guard counts are sent. Default 5000 ms. */
  flushIntervalMs?: number
  /** How often the connection is pinged; silence for twice as long means it is dead. Default 15000 ms. */
  pingIntervalMs?: number
  /** Sent in `hello` so the server's connection list shows who is connected. */
  sdkName?: string
  logger?: Logger
}

/**
 * A feature-flag client. Answers are synchronous and in memory; they never throw and fall back
 * to the caller's default when the flag is unknown or the client has no state yet.
 */
export interface FlagClient {
  /**
   * Resolves once the client has flag state (at once with a bootstrap or a cache). Rejects when
   * the key is refused, the client is closed first, or `timeoutMs` passes.
   */
  ready(options?: { timeoutMs?: number }): Promise<void>
  /** Whether the flag is on for the user (the identified user with a client key). Counts an exposure. */
  isEnabled(flag: string, user?: User, defaultValue?: boolean): boolean
  /** The answer with its reason. Counts an exposure like `isEnabled`. */
  explain(flag: string, user?: User, defaultValue?: boolean): EvaluationDetails
  /**
   * `isEnabled` with its reasons (detailed and generic): what an OpenFeature provider returns.
   * Counts an exposure like `isEnabled`.
   */
  resolve(flag: string, user?: User, defaultValue?: boolean): ResolvedDetails
  /** Counts a failure of the code path this user got (feeds the guard). */
  recordError(flag: string, user?: User): void
  /**
   * Counts how long the code path this user got took, in ms (feeds the guard's latency rule: a
   * histogram per arm, bounds 5 ms … 10 s). Negative or NaN durations are ignored.
   */
  recordDuration(flag: string, user: User | undefined, ms: number): void
  /**
   * Evaluates the flag once, runs `on` or `off`, and records the exposure, the branch's duration
   * and, if it throws, an error (then rethrows). Never fails on its own: an unknown flag or an
   * SDK that is not ready runs `off` and counts nothing.
   *
   * @example
   * const receipt = await flags.run('checkout-v2', user, { on: () => newCheckout(cart), off: () => oldCheckout(cart) })
   */
  run<T>(flag: string, user: User | undefined, branches: { on: () => T | Promise<T>; off: () => T | Promise<T> }): Promise<T>
  /** Subscribes; returns the unsubscribe function. */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): () => void
  /** Switches the current user; with a client key, resolves when the server's answers for them arrive. */
  identify(user: User): Promise<void>
  /** Sends the remaining guard counts (waiting up to `timeoutMs`, default 2000), then disconnects. */
  close(options?: { timeoutMs?: number }): Promise<void>
  /** The environment version of the state answers come from. */
  readonly version: number | undefined
  readonly status: ClientStatus
}
