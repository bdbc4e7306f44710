import type * as z from 'zod/mini'
import { authHeaders, type Credential } from './credential.ts'
import type { FieldIssue } from './types.ts'

/** An error response of the admin API: `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** Field-level problems of a 400, or one problem for the whole request. */
  get issues(): FieldIssue[] {
    const issues = (this.details as { issues?: unknown } | undefined)?.issues
    if (Array.isArray(issues)) return issues.filter(isIssue)
    // Messages name their field first (`key: must match …`) even without details.
    const match = /^([\w.]+): (.*)$/s.exec(this.message)
    return match
      ? [{ field: match[1]!, message: match[2]! }]
      : [{ field: '', message: this.message }]
  }

  /** On a 409, the newer state the server holds. */
  get current(): unknown {
    return (this.details as { current?: unknown } | undefined)?.current
  }
}

const isIssue = (v: unknown): v is FieldIssue =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as FieldIssue).field === 'string' &&
  typeof (v as FieldIssue).message === 'string'

/**
 * What a request expects back: a response shape from `api-shapes`, or `null` for an
 * answer without a body (204).
 */
export type Expect = z.ZodMiniType | null
type Answer<S extends Expect> = S extends z.ZodMiniType ? z.output<S> : null

export type Api = <S extends Expect>(method: string, path: string, expect: S, body?: unknown) => Promise<Answer<S>>

/**
 * Admin API requests with the signed-in key or person's session (`credential`). Every answer is parsed with the response shape the
 * caller names (the one the server's routes are typed against), so a field the server renamed
 * fails here, with its path, instead of rendering as `undefined` somewhere later. Non-2xx
 * answers throw `ApiError`; a network failure throws one with status 0, and an answer of the
 * wrong shape one with code `bad_response`, so every caller handles one kind of error.
 *
 * @example
 * const api = createApi({ kind: 'key', key }, onUnauthorized)
 * const { items } = await api('GET', '/api/v1/environments', shapes.environmentList)
 */
export function createApi(credential: Credential, onUnauthorized: (error: ApiError) => void): Api {
  return async <S extends Expect>(method: string, path: string, expect: S, body?: unknown): Promise<Answer<S>> => {
    let response: Response
    try {
      response = await fetch(path, {
        method,
        headers: {
          ...authHeaders(credential, method),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (error) {
      throw new ApiError(
        0,
        'network',
        `the server could not be reached (${(error as Error).message})`,
        undefined,
      )
    }
    const text = await response.text()
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      throw new ApiError(
        response.status,
        'bad_response',
        `unexpected answer from the server (HTTP ${response.status})`,
        undefined,
      )
    }
    if (response.ok) return parseAnswer(expect, json, `${method} ${path}`)
    const error = (
      json as { error?: { code?: string; message?: string; details?: unknown } } | null
    )?.error
    const failure = new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `HTTP ${response.status}`,
      error?.details,
    )
    if (response.status === 401) onUnauthorized(failure)
    throw failure
  }
}

function parseAnswer<S extends Expect>(expect: S, json: unknown, what: string): Answer<S> {
  if (expect === null) return null as Answer<S>
  const result = expect.safeParse(json)
  if (result.success) return result.data as Answer<S>
  const issue = result.error.issues[0]
  const where = issue && issue.path.length ? `${issue.path.join('.')}: ` : ''
  throw new ApiError(200, 'bad_response', `unexpected answer to ${what} (${where}${issue?.message ?? 'invalid'})`, undefined)
}

/** Path segment, escaped. */
export const seg = (value: string) => encodeURIComponent(value)
