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

export type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>

/**
 * Admin API requests with the signed-in key. Non-2xx answers throw `ApiError`; a network
 * failure throws one with status 0, so every caller handles one kind of error.
 *
 * @example
 * const api = createApi(key)
 * const { items } = await api<{ items: Environment[] }>('GET', '/api/v1/environments')
 */
export function createApi(key: string, onUnauthorized: (error: ApiError) => void): Api {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let response: Response
    try {
      response = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
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
    if (response.ok) return json as T
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

/** Path segment, escaped. */
export const seg = (value: string) => encodeURIComponent(value)
