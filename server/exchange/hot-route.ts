/**
 * The hot routes' requests and answers without a web framework. The routes called many times a
 * second — the SDKs' (OFREP evaluations, `POST …/evaluate`, `POST /api/v1/metrics`) and the
 * admin read of one flag state that scripts and dashboards poll — have handlers that read a
 * `HotRequest` and give a `HotAnswer`. The server process answers them straight from
 * `node:http` (node-http/hot-lane.ts), where hono's request and response objects were most of
 * their cost; the hono app answers them through the same handlers (hot-routes.ts), for
 * `app.request()` and for anything the lane does not take. One handler, two doors, the same bytes.
 */

import { errorResponse } from '../error-response.ts'

/** One request as a handler reads it. */
export interface HotRequest {
  readonly method: string
  /** The path, without the query. */
  readonly path: string
  /** A header by its lower-case name (repeated ones joined with `, `, as Node and fetch do). */
  header(name: string): string | undefined
  /** The peer's address as the socket sees it; undefined in process (`app.request`). */
  readonly peer: string | undefined
  /** `scheme://host[:port]` the request was sent to (the event-stream URL is built on it). */
  readonly origin: string
  /** The body as text (the door bounds its size before a handler runs). */
  text(): Promise<string>
}

/** The key a request was authenticated with, as far as logs and metrics need it. */
export interface CallerKey {
  readonly kind: string
  readonly name: string
  readonly environment: string | null
}

/**
 * A request on its way through a handler: what was asked, the route's parameters in the
 * pattern's order (`:env`, `:key`, decoded), and who asked once the handler has authenticated
 * them (the request log names them; a refused metrics batch is counted under the key's
 * environment): an API key, or a person (`actor`).
 */
export interface HotCall {
  readonly request: HotRequest
  readonly params: readonly string[]
  key?: CallerKey
  actor?: string
}

/**
 * A body as text, or in parts written in order: a part kept already encoded (the opening of a
 * large answer given again and again) is written as it is, not encoded anew per answer.
 */
export type HotBody = string | readonly (string | Uint8Array)[]

/** What a handler answers: status, headers and body (`null`: none, as on a 304). */
export interface HotAnswer {
  status: number
  headers: Record<string, string>
  body: HotBody | null
}

/** hono's `c.json` type, so both doors answer with the same bytes. */
export const JSON_TYPE = 'application/json'

/** A JSON answer, as hono's `c.json` builds it. */
export const jsonAnswer = (status: number, value: unknown, headers: Record<string, string> = {}): HotAnswer => ({
  status,
  headers: { ...headers, 'Content-Type': JSON_TYPE },
  body: JSON.stringify(value),
})

/** Any thrown value as the server's JSON error answer (`errorResponse`: status, body, `Retry-After`). */
export function errorAnswer(error: unknown, log: (message: string, error?: unknown) => void, where: string): HotAnswer {
  const { status, body, headers } = errorResponse(error, log, where)
  return jsonAnswer(status, body, headers)
}

/** The error a door turns into an answer, and the one error handler of the route's group. */
export type AnswerForError = (error: unknown, call: HotCall) => HotAnswer

/**
 * One hot route, as both doors serve it. `pattern` is hono's (and the HTTP metrics' route label);
 * `match` is the same path as a regular expression with a group per parameter.
 */
export interface HotRoute {
  readonly method: 'GET' | 'POST'
  readonly pattern: string
  readonly match: RegExp
  /** Bodies larger than this are refused before the handler runs (`tooLarge`; the lane takes GETs without a body only). */
  readonly maxBodyBytes: number
  /** The refusal of a too-large body, in the route group's error shape. */
  readonly tooLarge: () => HotAnswer
  /** The headers every answer of the group carries (CORS for browser SDKs; `nosniff`, `no-store` on `/api`). */
  readonly headers: Readonly<Record<string, string>>
  /** Any thrown error as the group's error answer. */
  readonly onError: AnswerForError
  handle(call: HotCall): Promise<HotAnswer>
}

/** A route's answer to a call: its handler's, or its group's error answer for what the handler threw. */
export async function answerOf(route: HotRoute, call: HotCall): Promise<HotAnswer> {
  try {
    return await route.handle(call)
  } catch (error) {
    return route.onError(error, call)
  }
}
