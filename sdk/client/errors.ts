/**
 * Why the client failed, as a stable code an application (or an OpenFeature provider) can switch
 * on without parsing messages.
 *
 * - `unauthorized`: the server refused the key (401/403) or revoked it; the client stops.
 * - `timeout`: `ready({ timeoutMs })` ran out before the client had any flag state.
 * - `closed`: the client was closed before it became ready.
 * - `cache`: the cache could not be read or written; the client carries on without it.
 */
export type ClientErrorCode = 'unauthorized' | 'timeout' | 'closed' | 'cache'

/**
 * The one error type the SDK reports (through `on('error')`, `onError` and `ready()`).
 *
 * @example
 * flags.on('error', (error) => {
 *   if (error.code === 'unauthorized') alert('check the SDK key')
 * })
 */
export class ClientError extends Error {
  // `declare`: assigned in the constructor, so the browser bundle (es2020) needs no class-field helper.
  declare readonly code: ClientErrorCode

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ClientError'
    this.code = code
  }
}
