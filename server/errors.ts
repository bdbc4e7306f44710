/**
 * The server's error hierarchy: a status, a stable code and a message that names the problem.
 * Routes and the WebSocket upgrade throw these; `errorResponse` (error-response.ts) turns any
 * failure into the one JSON error shape. `cause` keeps the underlying error for the logs.
 *
 * @example
 * throw new ConflictError('flag checkout-v2 changed since version 4 (now 6)', { current })
 * throw new AppError(500, 'console_unavailable', 'the console could not be built', undefined, { cause })
 */
export class AppError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 426 | 429 | 500,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Options every error class takes: the error that led to this one, kept for the logs. */
export interface ErrorOptions {
  cause?: unknown
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown, options?: ErrorOptions) {
    super(400, 'invalid_input', message, details, options)
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid API key', options?: ErrorOptions) {
    super(401, 'unauthorized', message, undefined, options)
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super(403, 'forbidden', message, undefined, options)
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, options?: ErrorOptions) {
    super(404, 'not_found', `${what} not found`, undefined, options)
  }
}

/** No route (or WebSocket endpoint) at this method and path. */
export class RouteNotFoundError extends AppError {
  constructor(method: string, path: string) {
    super(404, 'not_found', `no route for ${method} ${path}`)
  }
}

/** Optimistic concurrency and uniqueness failures; `details.current` holds the newer state. */
export class ConflictError extends AppError {
  constructor(message: string, details?: unknown, options?: ErrorOptions) {
    super(409, 'conflict', message, details, options)
  }
}

/** A rate limit was hit; `retryAfterSeconds` becomes the `Retry-After` header. */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(429, 'rate_limited', message, { retryAfterSeconds }, options)
  }
}

/**
 * Stored data that does not parse as what it should be (guard or plan JSON on a flag state, the
 * guard leader's shared evidence): written by something other than this server, or damaged. A
 * 500 that names the row and the first field that did not fit; never read through a cast.
 */
export class StoredDataError extends AppError {
  constructor(message: string, details?: unknown, options?: ErrorOptions) {
    super(500, 'invalid_stored_data', message, details, options)
  }
}
