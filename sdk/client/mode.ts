import type { ClientMessage, ServerMessage } from '../core/protocol.ts'
import type { EvalResult, User } from '../core/types.ts'
import type { Counting } from './counters.ts'

/** Answers one flag for a user; a compiled flag (rules mode) or a held result (results mode). */
export interface Answerer {
  evaluate(user: User): Readonly<EvalResult>
  /** The public form of a result it returned (rules mode: SPLIT needs the cohort's rollout). */
  generic?(result: Readonly<EvalResult>): Readonly<EvalResult>
}

/** What applying one server message did. */
export interface Applied {
  /** Flags whose answers may have changed (for the 'change' event). */
  keys: string[]
  /** The message did not follow the held version (or made no sense): resync from the server. */
  resync: boolean
}

/**
 * Where answers come from. Rules mode (server keys) holds the environment's rules and evaluates
 * locally; results mode (client keys, browsers) holds the server's answers for one user. The
 * client around it is the same for both.
 */
export interface Mode {
  /** How the guard's counts are kept (counters.ts): `ARM_COUNTING` or `ANSWER_COUNTING`. */
  readonly counting: Counting
  /** The environment version of the held state; undefined before any state. */
  readonly version: number | undefined
  /**
   * What answers for a flag under the held state, or undefined while no state is held or the
   * flag is unknown. Looked up once per state change of the flag, not once per `isEnabled`.
   */
  answerer(flag: string): Answerer | undefined
  /** The first message of every connection (resuming from the held version). */
  hello(sdk: string): ClientMessage
  /**
   * Parses one server frame into a message this mode can take (its own kind, `metrics_ack`,
   * `pong`); undefined for anything else, which makes the client resync. Per mode so that the
   * browser build carries no checks for rules messages it is never sent.
   */
  parse(text: string): ServerMessage | undefined
  /** Applies a `snapshot`, `changes` or `results` message. */
  apply(message: ServerMessage): Applied
  /** Flag keys currently held (so their counters exist before the first evaluation). */
  keys(): Iterable<string>
  /** Takes state from a bootstrap or a cache entry; false when it is not usable here. */
  load(data: unknown): boolean
  /** The held state as a cache entry (what `load` takes back). */
  dump(): unknown
  /** Results mode only: switches to another user; the message to send for it. */
  identify?(user: User): ClientMessage
}
