import { HTTPException } from 'hono/http-exception'
import { AppError, TooManyRequestsError } from './errors.ts'

/** The one JSON error shape of every refusal, HTTP or WebSocket upgrade. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

/** A refusal ready to write: status, body and any extra headers (`Retry-After`). */
export interface ErrorResponse {
  status: number
  body: ErrorBody
  headers: Record<string, string>
}

/** `{ error: { code, message, details? } }`, leaving `details` out when there are none. */
export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: { code, message, ...(details === undefined ? {} : { details }) },
})

/**
 * Maps any thrown value to the response the client gets. Application errors keep their status,
 * code and details; hono's own exceptions keep their status; anything else is a 500 whose
 * message says nothing about internals. Server-side failures (5xx) are logged with their cause
 * chain, since that is the only place the cause survives.
 *
 * @example
 * const { status, body } = errorResponse(new NotFoundError('flag x'), log, 'GET /api/v1/flags/x')
 * // 404, { error: { code: 'not_found', message: 'flag x not found' } }
 */
export function errorResponse(
  error: unknown,
  log: (message: string, error?: unknown) => void,
  where: string,
): ErrorResponse {
  if (error instanceof AppError) {
    if (error.status >= 500) log(`${where} failed: ${error.message}`, error)
    const headers: Record<string, string> =
      error instanceof TooManyRequestsError ? { 'Retry-After': String(error.retryAfterSeconds) } : {}
    return { status: error.status, body: errorBody(error.code, error.message, error.details), headers }
  }
  if (error instanceof HTTPException)
    return { status: error.status, body: errorBody('http_error', error.message), headers: {} }
  log(`unhandled error on ${where}`, error)
  return { status: 500, body: errorBody('internal', 'internal server error'), headers: {} }
}
